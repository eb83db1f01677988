package auth

// Audit names of the federation settings (package fed).
const (
	ActionSetFederation   Action = "set_federation"
	ActionRotateKey       Action = "rotate_key"
	ActionApproveFollower Action = "approve_follower"
	ActionRejectFollower  Action = "reject_follower"
)
