package web

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
)

// a11yAudit is run in the page: it returns the WCAG basics the page breaks — a missing lang, a
// form control without a label, an image without alt text, a missing main landmark or h1, a
// link or button without a name, a positive tabindex, or body text below 4.5:1 contrast.
const a11yAudit = `(() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("html has no lang");
  if (!document.querySelector("main")) problems.push("no main landmark");
  if (document.querySelectorAll("h1").length !== 1) problems.push("want exactly one h1");
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    const labelled = (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]')) ||
      el.closest("label") || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!labelled) problems.push("unlabelled control " + (el.name || el.outerHTML.slice(0, 60)));
  }
  for (const img of document.querySelectorAll("img")) if (!img.hasAttribute("alt")) problems.push("img without alt " + img.src);
  for (const el of document.querySelectorAll("a[href], button")) {
    if (!(el.textContent.trim() || el.getAttribute("aria-label") || el.querySelector("img[alt]"))) problems.push("nameless " + el.outerHTML.slice(0, 60));
  }
  for (const el of document.querySelectorAll("[tabindex]")) if (el.tabIndex > 0) problems.push("positive tabindex");
  const lum = (rgb) => {
    const c = rgb.match(/[\d.]+/g).slice(0, 3).map(Number).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const bg = (el) => {
    for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      if (c && !c.startsWith("rgba(0, 0, 0, 0)") && c !== "transparent") return c;
    }
    return "rgb(255, 255, 255)";
  };
  for (const el of document.querySelectorAll("p, li, a, dt, dd, td, th, label, h1, h2, h3, span, button")) {
    if (!el.textContent.trim() || el.offsetParent === null) continue;
    const st = getComputedStyle(el);
    const a = lum(st.color), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const large = parseFloat(st.fontSize) >= 24 || (parseFloat(st.fontSize) >= 18.66 && Number(st.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) problems.push("contrast " + ratio.toFixed(2) + " on " + el.tagName + " " + el.textContent.trim().slice(0, 30));
  }
  return problems;
})()`

// auditPage loads url and fails the test for each accessibility problem found.
func auditPage(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](a11yAudit))
	if err != nil {
		t.Fatalf("audit %s: %v", url, err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", url, p)
	}
}
