package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sistercity/internal/db/dbtest"
)

// sistercity runs the command with the test's database flags added after the other arguments,
// where a user might put them too.
func sistercity(t *testing.T, dbFlags []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append(args, dbFlags...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestImportThenExport(t *testing.T) {
	t.Parallel()
	dbFlags := []string{"--data-dir", t.TempDir(), "--log-level", "warn"}
	if u := dbtest.URL(t); u != "" {
		dbFlags = append(dbFlags, "--database-url", u)
	}

	code, out, errOut := sistercity(t, dbFlags, "import", "--dry-run", "demo/busan-partners.csv", "--stats-as-of", "2022-01-01",
		"--home-name", "Busan", "--home-country", "KR")
	if code != 0 || !strings.Contains(out, "Checked demo/busan-partners.csv (29 rows read); nothing has been saved.") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = sistercity(t, dbFlags, "import", "--stats-as-of", "2022-01-01", "--home-name", "Busan", "--home-country", "KR",
		"demo/busan-partners.csv")
	want := "Imported demo/busan-partners.csv (29 rows read).\n" +
		"Cities: 30 added, 0 updated, 0 unchanged.\n" +
		"Partnerships: 29 added, 0 updated, 0 unchanged.\n"
	if code != 0 || out != want {
		t.Fatalf("import: exit %d\n%s\nwant\n%s\n%s", code, out, want, errOut)
	}
	// Once the site has its home city, it need not be named again.
	code, out, _ = sistercity(t, dbFlags, "import", "--stats-as-of=2022-01-01", "demo/busan-partners.csv")
	if code != 0 || !strings.Contains(out, "Partnerships: 0 added, 0 updated, 29 unchanged.") {
		t.Fatalf("second import: exit %d\n%s", code, out)
	}

	// A bad file: every problem on its own line, exit status 1, nothing stored.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("name_en,country,type,signed_on\nAuckland,NZ,sister,1996-04-22\nSeoul,KR,sister,17.01.1995\nOsaka,JP,twin,2008-05-21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = sistercity(t, dbFlags, "import", bad)
	for _, w := range []string{
		"bad.csv: line 3, field signed_on: “17.01.1995” is not a date. Write it as YYYY-MM-DD, e.g. 1992-06-30.\n",
		"bad.csv: line 4, field type: Unknown value “twin”. Use one of: sister, friendship, exchange_mou.\n",
		"sistercity import: 2 problems were found; nothing has been saved.\n",
	} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	if code != 1 {
		t.Errorf("exit %d for a bad file, want 1", code)
	}

	code, out, errOut = sistercity(t, dbFlags, "export", "--format", "json")
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	var doc struct {
		Format       string            `json:"format"`
		Partnerships []json.RawMessage `json:"partnerships"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Format != "sistercity-register" || len(doc.Partnerships) != 29 {
		t.Fatalf("export: %v, %d partnerships (Auckland from the bad file must not be there)", err, len(doc.Partnerships))
	}

	csvPath := filepath.Join(t.TempDir(), "register.csv")
	if code, _, errOut = sistercity(t, dbFlags, "export", "--output", csvPath); code != 0 {
		t.Fatalf("export to a file: exit %d\n%s", code, errOut)
	}
	exported, err := os.ReadFile(csvPath)
	if err != nil || !bytes.HasPrefix(exported, []byte("name_en,name_ko,name_ru,country,kind,type,signed_on")) ||
		bytes.Count(exported, []byte("\n")) != 30 {
		t.Fatalf("exported CSV (%v):\n%s", err, exported)
	}
	// The export imports back without changing anything.
	code, out, _ = sistercity(t, dbFlags, "import", csvPath)
	if code != 0 || !strings.Contains(out, "Cities: 0 added, 0 updated, 29 unchanged.") {
		t.Errorf("re-import of the export: exit %d\n%s", code, out)
	}
}

func TestImportArguments(t *testing.T) {
	t.Parallel()
	dbFlags := []string{"--data-dir", t.TempDir()}
	if code, _, errOut := sistercity(t, dbFlags, "import"); code != 1 || !strings.Contains(errOut, "want one FILE") {
		t.Errorf("no file: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := sistercity(t, dbFlags, "export", "--format", "xml"); code != 1 || !strings.Contains(errOut, "want csv or json") {
		t.Errorf("bad format: exit %d\n%s", code, errOut)
	}
	empty := filepath.Join(t.TempDir(), "empty.csv")
	_ = os.WriteFile(empty, nil, 0o644)
	if code, _, errOut := sistercity(t, dbFlags, "import", empty); code != 1 || !strings.Contains(errOut, "line 1: The file is empty.") {
		t.Errorf("empty file: exit %d\n%s", code, errOut)
	}
}
