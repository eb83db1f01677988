package auth

// Audit names of the situation reports (package report).
const (
	EntityReport  Entity = "report"
	EntityLiaison Entity = "liaison" // a liaison account's partner city

	ActionShare    Action = "share"
	ActionWithdraw Action = "withdraw"
)
