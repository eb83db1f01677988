package jobs

// ForTest sets River's TestOnly on c: maintenance services start without their random
// staggering, so that a test's queue elects itself leader and schedules at once.
func ForTest(c Config) Config {
	c.testOnly = true
	return c
}
