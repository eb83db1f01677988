package main

import (
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDemoReports starts with --demo and reads the story's situation reports as Saint
// Petersburg's liaison: the four reports, marked as demonstration figures in every language;
// the EDXL-HAVE export of one validates against the OASIS schema; the comparison sets Busan and
// Saint Petersburg side by side per 100,000 inhabitants, the chart and its table with the same
// numbers.
func TestDemoReports(t *testing.T) {
	t.Parallel()
	base, stdout, stop := startServe(t, append(dbArgs(t), "--demo")...)
	defer stop()
	m := regexp.MustCompile(`as spb-liaison with the password: (\S+)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no liaison password printed:\n%s", stdout.String())
	}
	jar, _ := cookiejar.New(nil)
	b := &demoClient{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	b.signIn("spb-liaison", m[1])
	status, list := b.get("/admin/reports?lang=en")
	ids := regexp.MustCompile(`href="/admin/reports/(\d+)"`).FindAllStringSubmatch(list, -1)
	if status != http.StatusOK || len(ids) != 4 || strings.Count(list, "demonstration") != 4 {
		t.Fatalf("the liaison's list: %d, %d reports\n%s", status, len(ids), list)
	}
	for lang, want := range map[string]string{"en": "Demonstration figures", "ko": "시연용 수치", "ru": "Демонстрационные данные"} {
		if _, body := b.get("/admin/reports/" + ids[0][1] + "?lang=" + lang); !strings.Contains(body, want) || !strings.Contains(body, "Video conference with Saint Petersburg") && lang == "en" {
			t.Errorf("report in %s lacks %q or its conference", lang, want)
		}
	}
	status, doc := b.get("/admin/reports/" + ids[0][1] + "/edxl-have.xml")
	if status != http.StatusOK {
		t.Fatalf("edxl-have: %d", status)
	}
	path := filepath.Join(t.TempDir(), "have.xml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	schema := "../../../shared/conformance/edxl-have/external/edxl-have/1.0/edxl-have.xsd"
	if out, err := exec.Command("xmllint", "--nonet", "--noout", "--schema", schema, path).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s\n%s", err, out, doc)
	}
	// 134 and 144 cases of 3,413,841 inhabitants; 3,985 and 13,051 of 5,384,342.
	_, page := b.get("/admin/reports/compare?metric=total_cases&lang=en")
	for _, n := range []string{"3.9", "4.2", "74", "242.4"} {
		if !strings.Contains(page, "<td>"+n+"</td>") || !strings.Contains(page, ">"+n+"</text>") {
			t.Errorf("the comparison's chart and table do not both hold %s", n)
		}
	}
	// Isolation rooms occupied in April: Busan 11 of 54, Saint Petersburg 122 of 160.
	for _, n := range []string{"20%", "76%"} {
		if !strings.Contains(page, "<td>"+n+"</td>") || !strings.Contains(page, ">"+n+"</text>") {
			t.Errorf("the isolation chart and table do not both hold %s", n)
		}
	}
	for _, w := range []string{"Busan", "Saint Petersburg", "population 3,413,841", "population 5,384,342"} {
		if !strings.Contains(page, w) {
			t.Errorf("the comparison lacks %q", w)
		}
	}
}
