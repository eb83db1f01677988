package blob

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// maxRanges is the most ranges answered in one response after merging; a request for more is
// answered with the whole object, as nginx's max_ranges does.
const maxRanges = 16

// maxRangeHeader is the longest Range header read; a longer one is ignored unread.
const maxRangeHeader = 4 << 10

// tidyRanges returns r with its Range header merged for an object of size bytes: ranges that
// overlap or touch become one (the ranges are then in order; otherwise the client's order
// stands), so that a header of many small or repeated ranges
// cannot make a response larger than the object. A header of more than maxRanges ranges after
// merging, or longer than maxRangeHeader, is dropped. A header it cannot read is left as it is,
// for http.ServeContent to refuse.
func tidyRanges(r *http.Request, size int64) *http.Request {
	h := r.Header.Get("Range")
	if h == "" {
		return r
	}
	if len(h) > maxRangeHeader {
		return withRange(r, "")
	}
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok {
		return r
	}
	type span struct{ first, last int64 }
	var spans []span
	for part := range strings.SplitSeq(spec, ",") {
		first, last, ok := strings.Cut(strings.TrimSpace(part), "-")
		if !ok {
			return r
		}
		first, last = strings.TrimSpace(first), strings.TrimSpace(last)
		var sp span
		if first == "" {
			n, err := strconv.ParseInt(last, 10, 64)
			if err != nil || n < 0 {
				return r
			}
			if n == 0 || size == 0 {
				continue // unsatisfiable
			}
			sp = span{max(size-n, 0), size - 1}
		} else {
			start, err := strconv.ParseInt(first, 10, 64)
			if err != nil || start < 0 {
				return r
			}
			end := size - 1
			if last != "" {
				e, err := strconv.ParseInt(last, 10, 64)
				if err != nil || e < start {
					return r
				}
				end = min(e, size-1)
			}
			if start >= size {
				continue // unsatisfiable
			}
			sp = span{start, end}
		}
		spans = append(spans, sp)
	}
	if len(spans) == 0 {
		return r // none satisfiable: ServeContent answers 416
	}
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, func(a, b span) int { return int(min(max(a.first-b.first, -1), 1)) })
	merged := sorted[:1]
	for _, sp := range sorted[1:] {
		last := &merged[len(merged)-1]
		if sp.first <= last.last+1 {
			last.last = max(last.last, sp.last)
			continue
		}
		merged = append(merged, sp)
	}
	if len(merged) > maxRanges {
		return withRange(r, "")
	}
	if len(merged) == len(spans) {
		merged = spans // nothing merged: the client's order stands
	}
	var b strings.Builder
	b.WriteString("bytes=")
	for i, sp := range merged {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(sp.first, 10) + "-" + strconv.FormatInt(sp.last, 10))
	}
	return withRange(r, b.String())
}

// withRange is a shallow copy of r with the Range header set to h, or removed when h is "".
func withRange(r *http.Request, h string) *http.Request {
	r2 := new(http.Request)
	*r2 = *r
	r2.Header = r.Header.Clone()
	if h == "" {
		r2.Header.Del("Range")
	} else {
		r2.Header.Set("Range", h)
	}
	return r2
}
