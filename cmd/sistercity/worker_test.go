package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"sistercity/internal/polltest"
)

func TestWorkerCommand(t *testing.T) {
	t.Parallel()
	args := append([]string{"worker"}, dbArgs(t)...)
	var out, errOut syncBuffer
	if code := run(context.Background(), append(args, "--workers", "0"), &out, &errOut); code == 0 ||
		!strings.Contains(errOut.String(), "--workers must be at least 1") {
		t.Errorf("worker --workers 0: exit %d, %s", code, errOut.String())
	}

	// It migrates, starts and, on the signal, stops.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	var logs syncBuffer
	go func() { done <- run(ctx, args, &out, &logs) }()
	polltest.Until(t, "the worker to start", func() (bool, string) {
		select {
		case code := <-done:
			t.Fatalf("worker exited with %d\n%s", code, logs.String())
		default:
		}
		return strings.Contains(logs.String(), "runs no jobs") || strings.Contains(logs.String(), "workers started"), logs.String()
	})
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("worker exited with %d\n%s", code, logs.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("worker did not stop")
	}
}
