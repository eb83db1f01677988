package auth

// Audit names of federation moderation (package fed).
const (
	ActionBlockDomain   Action = "block_domain"
	ActionUnblockDomain Action = "unblock_domain"
	ActionBlockActor    Action = "block_actor"
	ActionUnblockActor  Action = "unblock_actor"
)
