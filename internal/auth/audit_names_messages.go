package auth

// Audit names of the calls for citizens' messages (package messages).
const (
	EntityMessageCall    Entity = "message_call"
	EntityCitizenMessage Entity = "citizen_message"

	ActionApproveMessage   Action = "approve_message"
	ActionRejectMessage    Action = "reject_message"
	ActionTranslateMessage Action = "translate_message"
)
