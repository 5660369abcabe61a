package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// Config is a plugin's own table from jwtd.toml ([plugins.<kind>.config]),
// handed over as it is. Values are JSON-compatible: strings, numbers, bools,
// lists and tables.
type Config map[string]any

// Decode fills into (a pointer to a struct with json tags) from c, refusing
// unknown keys and wrong types with an error naming the key, wrapped in
// ErrInvalidConfig. Plugins call it in their factory so that a typo in
// jwtd.toml is a start-up error, not a silently ignored setting.
func (c Config) Decode(into any) error {
	raw, err := json.Marshal(map[string]any(c))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	return nil
}

// Factory builds a plugin implementation of type T from its config. Built-ins
// register one per name for in-process use, and a plugin binary's main hands
// the same factories to Serve; the host calls it once at start (the
// Configure step), and a returned error stops jwtd with a message naming the
// plugin.
type Factory[T any] func(ctx context.Context, cfg Config) (T, error)
