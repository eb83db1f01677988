package auth

// Entity names a kind of record in the audit log. Every writer of the log names its records
// with one of the constants below, so the log's filter and its readers see one spelling.
type Entity string

// The kinds of records the audit log knows.
const (
	EntityActivity           Entity = "activity"
	EntityActivityDocument   Entity = "activity_document"
	EntityActivityVideo      Entity = "activity_video"
	EntityChecklistItem      Entity = "checklist_item"
	EntityCity               Entity = "city"
	EntityDateClaim          Entity = "date_claim"
	EntityDiplomaticRelation Entity = "diplomatic_relation"
	EntityDocument           Entity = "document" // a partnership's document
	EntityMilestone          Entity = "milestone"
	EntityPartnership        Entity = "partnership"
	EntityPublication        Entity = "publication" // an entry of the publication log
	EntityRegister           Entity = "register"    // a whole import of the register
	EntitySettings           Entity = "settings"
	EntitySubtitleTrack      Entity = "subtitle_track"
	EntityUser               Entity = "user"
	EntityVideo              Entity = "video"
)

// Entities lists every kind of record, for the log's filter.
var Entities = []Entity{
	EntityActivity, EntityActivityDocument, EntityActivityVideo, EntityChecklistItem, EntityCity,
	EntityDateClaim, EntityDiplomaticRelation, EntityDocument, EntityMilestone, EntityPartnership,
	EntityPublication, EntityRegister, EntitySettings, EntitySubtitleTrack, EntityUser, EntityVideo,
	EntityMessageCall, EntityCitizenMessage,
	EntityReport, EntityLiaison,
}

// Action names what a change in the audit log did.
type Action string

// The actions the audit log records. Domain packages with a workflow of their own convert
// their step names (track.ActionSubmit, …) with Action(…).
const (
	ActionCreate           Action = "create"
	ActionUpdate           Action = "update"
	ActionDelete           Action = "delete"
	ActionImport           Action = "import"
	ActionSet              Action = "set"
	ActionSetHomeCity      Action = "set_home_city"
	ActionSetRole          Action = "set_role"
	ActionDisable          Action = "disable"
	ActionEnable           Action = "enable"
	ActionResetPassword    Action = "reset_password"
	ActionEditCues         Action = "edit_cues"
	ActionMachineTranslate Action = "machine_translate"
	ActionBurn             Action = "burn"
	ActionState            Action = "state"
	ActionReprocess        Action = "reprocess"
	ActionUploadSource     Action = "upload_source"
	ActionSetEmbedOrigins  Action = "set_embed_origins"
)
