//go:build !race

package web

// raceEnabled: the race detector is on, and the embedded SQLite runs many times slower.
const raceEnabled = false
