package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/config"
)

// keyFlags are the flags key generate and key rotate share.
type keyFlags struct {
	alg, kid, out *string
}

func newKeyFlags(f *flags, algDefault string) keyFlags {
	return keyFlags{
		alg: f.String("algorithm", algDefault, "the key's algorithm (HS256/384/512, RS*, PS*, ES*, EdDSA)"),
		kid: f.String("kid", "", "the key's kid (default: the date and a random suffix)"),
		out: f.String("out", "", "the key file to write, public half beside it as FILE.pub (default: jwtd-KID.key beside the config)"),
	}
}

// generate makes the key and writes its files, returning the entry and
// the files' paths.
func (k keyFlags) generate(configPath string, now time.Time) (config.RingEntry, []string, error) {
	key, err := config.GenerateKey(*k.alg)
	if err != nil {
		return config.RingEntry{}, nil, fmt.Errorf("%w: --algorithm: %v", errUsage, err)
	}
	kid := *k.kid
	if kid == "" {
		kid = config.NewKeyID(now)
	}
	dir := filepath.Dir(configPath)
	out := *k.out
	if out == "" {
		out = filepath.Join(dir, "jwtd-"+kid+".key")
	}
	e, err := config.WriteKeyFiles(key, kid, out, dir)
	files := []string{out}
	if e.VerifyingKey != "" {
		files = append(files, out+".pub")
	}
	return e, files, err
}

// runKeyGenerate writes a new key and prints its [[tokens.keys]] table.
func runKeyGenerate(ctx context.Context, env Env, args []string) error {
	f := newFlags(env, "key generate")
	kf := newKeyFlags(f, "HS256")
	state := f.String("state", string(core.KeySigning), "the state in the snippet: signing or verify")
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	if *state != string(core.KeySigning) && *state != string(core.KeyVerify) {
		return fmt.Errorf("%w: --state must be signing or verify, not %q", errUsage, *state)
	}
	e, _, err := kf.generate(f.configPath(), time.Now())
	if err != nil {
		return err
	}
	e.State = core.KeyState(*state)
	fmt.Fprintf(env.Stderr, "wrote %s; add this to jwtd.toml (one key signs):\n", e.SigningKey)
	fmt.Fprint(env.Stdout, e.TOML())
	return nil
}

// runKeyRotate makes a new key the signing key and the current one
// verify-only until every token it signed has expired.
func runKeyRotate(ctx context.Context, env Env, args []string) error {
	f := newFlags(env, "key rotate")
	kf := newKeyFlags(f, "")
	retire := f.Duration("retire-after", 0, "how long the current signing key keeps verifying (default: the longest token lifetime plus leeway)")
	write := f.Bool("write", false, "rewrite the config file with the new ring (else print it)")
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	path := f.configPath()
	cfg, err := config.Load(path, config.Options{NoKeyGeneration: true})
	if err != nil {
		return err
	}
	if err := cfg.Tokens.Validate(); err != nil {
		return err
	}
	if *kf.alg == "" {
		*kf.alg = signingAlgorithm(cfg.Tokens)
	}
	if *retire <= 0 {
		*retire = config.TokenLifetime(cfg.Tokens)
	}
	now := time.Now()
	next, files, err := kf.generate(cfg.Path, now)
	if err != nil {
		return err
	}
	rot, err := config.PlanRotation(cfg.Path, next, now.Add(*retire).Truncate(time.Second), now)
	if err != nil {
		// The new key files are no use without the rotation.
		for _, f := range files {
			os.Remove(f)
		}
		return err
	}
	if !*write {
		fmt.Fprintf(env.Stderr, "wrote %s; replace signing_key/verifying_key and [[tokens.keys]] in %s with:\n", next.SigningKey, cfg.Path)
		fmt.Fprint(env.Stdout, config.RingTOML(rot.Ring))
		return nil
	}
	if err := replaceFile(cfg.Path, rot.Text); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: kid %q signs from the next reload (SIGHUP, systemctl reload jwtd); the previous key verifies until %s\n",
		cfg.Path, next.Kid, now.Add(*retire).UTC().Format(time.RFC3339))
	return nil
}

// signingAlgorithm is the algorithm of the ring's signing key.
func signingAlgorithm(s core.Settings) string {
	for _, k := range s.Keys {
		if k.State == core.KeySigning && k.Algorithm != "" {
			return k.Algorithm
		}
	}
	return s.Algorithm
}

// replaceFile writes data over path atomically (a reload never sees half a
// file), keeping its mode, owner and group.
func replaceFile(path string, data []byte) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".jwtd-rotate-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(st.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if owner, ok := st.Sys().(*syscall.Stat_t); ok && (int(owner.Uid) != os.Getuid() || int(owner.Gid) != os.Getgid()) {
		// root:jwtd 0640 must stay readable by jwtd after the rename.
		if err := tmp.Chown(int(owner.Uid), int(owner.Gid)); err != nil {
			tmp.Close()
			return fmt.Errorf("keeping the owner of %s: %w", path, err)
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
