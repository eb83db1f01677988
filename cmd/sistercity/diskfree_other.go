//go:build !linux

package main

// diskFree is not measured outside Linux; the doctor then skips the free-space warning.
func diskFree(string) (uint64, bool) { return 0, false }
