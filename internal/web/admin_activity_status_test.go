package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/exchange"
)

// TestActivityStatusSteps: a new activity may start from any status; a recorded one offers
// only its status and those that may follow it, each with what it means, and a step the
// workflow does not allow is refused in the editor's language with nothing saved.
func TestActivityStatusSteps(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	editor := e.userClient(auth.RoleEditor)
	offered := func(body string) []string {
		var out []string
		for _, st := range exchange.Statuses {
			if strings.Contains(body, `id="f-status-`+st+`"`) {
				out = append(out, st)
			}
		}
		return out
	}
	_, body := editor.get("/admin/activities/new?lang=en")
	if got := offered(body); len(got) != len(exchange.Statuses) {
		t.Errorf("a new activity offers %v", got)
	}
	resp, _ := editor.post("/admin/activities", with(busanDayValues(p.ID), "status", "held", "actual_start_date", "2020-07-04"))
	id := idFrom(t, resp)
	_, body = editor.get("/admin/activities/" + itoa64(id) + "?lang=en")
	if got := strings.Join(offered(body), " "); got != "held" ||
		!strings.Contains(body, "The activity took place. This is final: record its outcomes and minutes.") {
		t.Errorf("a held activity offers %q", got)
	}
	a, err := exchange.Get(context.Background(), e.db.R, id)
	if err != nil {
		t.Fatal(err)
	}
	resp, body = editor.post("/admin/activities/"+itoa64(id)+"?lang=ru", with(busanDayValues(p.ID), "version", itoa64(a.Version),
		"status", "planned", "actual_start_date", "2020-07-04"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Статус мероприятия «Проведено» нельзя сменить на «Запланировано»") {
		t.Errorf("held → planned: %d", resp.StatusCode)
	}
	if got, _ := exchange.Get(context.Background(), e.db.R, id); got.Status != exchange.StatusHeld || got.Version != a.Version {
		t.Errorf("the refused step changed the activity: %s v%d", got.Status, got.Version)
	}
	for from, want := range map[string]string{
		exchange.StatusPlanned:        "planned confirmed held postponed cancelled switched_online",
		exchange.StatusCancelled:      "planned cancelled",
		exchange.StatusSwitchedOnline: "confirmed held postponed cancelled switched_online",
	} {
		if got := strings.Join(exchange.NextStatuses(from), " "); got != want {
			t.Errorf("from %s: %q, want %q", from, got, want)
		}
	}
}
