// Package plugin runs jwtd plugins out of process over hashicorp/go-plugin
// gRPC, so that a plugin author never sees go-plugin or protobuf.
//
// A plugin binary's main is one call:
//
//	func main() {
//		plugin.Serve(plugin.Set{
//			UserStore:      mystore.NewUserStore,
//			BlacklistStore: mystore.NewBlacklistStore,
//		})
//	}
//
// Serve speaks the handshake on stdout (nothing else may write there before
// it), logs to stderr as JSON lines that the host shows with their levels
// (the default slog logger and the standard log package are set up for
// this), builds each kind from its factory when the host sends its config
// table (the Configure call), and exits when the host goes away, even when
// the host was killed.
//
// The rest of the package is the host side of the same protocol, used by
// jwtd's host/pluginhost: the handshake, the go-plugin plugin set and the
// gRPC clients that turn each service back into the sdk interface, with the
// sentinel errors of package sdk carried across as gRPC status codes.
package plugin
