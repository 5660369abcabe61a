// Package plugin turns a program into a jwtd plugin: its main hands a Set
// of factories to Serve, and jwtd does the rest.
//
//	func main() {
//		plugin.Serve(plugin.Set{
//			UserStore:      mystore.NewUserStore,
//			BlacklistStore: mystore.NewBlacklistStore,
//		})
//	}
//
// Each factory builds its kind from the plugin's config table in jwtd.toml
// ([plugins.<kind>.config]), when jwtd starts the process and after every
// restart. Set only the kinds the binary serves.
//
// Serve speaks the handshake on stdout (nothing else may write there before
// it), logs to stderr as JSON lines that jwtd shows with their levels (the
// default slog logger and the standard log package are set up for this),
// and exits when jwtd goes away, even when jwtd was killed. Implementations
// that are io.Closers are closed first.
//
// How to write, build and test a plugin: the SDK's README.md. The protocol
// itself (for hosts, and for plugins in other languages) is package
// github.com/jwtd/jwtd/sdk/wire and the .proto files under sdk/proto;
// authors need neither.
package plugin
