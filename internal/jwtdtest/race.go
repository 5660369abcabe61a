package jwtdtest

import (
	"net/http"
	"sync"
	"testing"
)

// OneWinner starts n calls of try at once (try(i) answers the HTTP status
// of the i-th call, say a refresh of one token through alternating
// instances) and fails t unless exactly one answered 200 and every other
// 401: the single-use guarantee of refresh rotation across processes.
func OneWinner(t testing.TB, n int, try func(i int) int) {
	t.Helper()
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			statuses[i] = try(i)
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for i, s := range statuses {
		switch s {
		case http.StatusOK:
			wins++
		case http.StatusUnauthorized:
		default:
			t.Errorf("call %d answered %d; want 200 or 401", i, s)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d concurrent calls succeeded (%v); want exactly 1", wins, n, statuses)
	}
}
