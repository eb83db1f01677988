//go:build !linux

package main

// releaseBinaryPages is Linux only (memory_linux.go).
func releaseBinaryPages() int64 { return 0 }
