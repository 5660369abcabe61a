package pluginhost_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jwtd/jwtd/host/pluginhost"
	"github.com/jwtd/jwtd/sdk"
)

// Starting the SQLite stores out of process, as jwtd does for
// [plugins.user_store] use = "./bin/jwtd-plugin-sqlite". Both kinds have the
// same binary and config, so one process serves them.
func ExampleHost_UserStore() {
	ctx := context.Background()
	h := pluginhost.New(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	defer h.Close() // no plugin process outlives the host

	cfg := sdk.Config{"path": "jwtd.db"}
	users, err := h.UserStore(ctx, pluginhost.Spec{
		Name: "user_store", Path: "./bin/jwtd-plugin-sqlite", Config: cfg,
		CallTimeout: 2 * time.Second,
	})
	if err != nil {
		fmt.Println(err) // names the plugin: a bad config, a checksum mismatch, ...
		return
	}
	if _, err := h.BlacklistStore(ctx, pluginhost.Spec{Name: "blacklist_store", Path: "./bin/jwtd-plugin-sqlite", Config: cfg}); err != nil {
		fmt.Println(err)
		return
	}

	_, err = users.LookupUser(ctx, "id", "1")
	switch {
	case errors.Is(err, sdk.ErrUserNotFound):
		// an answer: no such user
	case errors.Is(err, sdk.ErrUnavailable):
		// the plugin is down or slow: fail closed (503) and retry later;
		// the host is restarting it
	}
	for _, st := range h.Ping(ctx) {
		fmt.Println(st.Name, st.Up, st.Err)
	}
}
