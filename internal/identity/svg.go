package identity

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"sistercity/internal/i18n"
)

// An uploaded SVG is parsed and written anew from what is allowed: the shapes, gradients and
// text of a logo, with presentation attributes. What could run or fetch something is refused
// with its name (script, foreignObject, images, links, style sheets, animations, event
// attributes, references outside the file, a DOCTYPE with its entities); elements of other
// vocabularies (an editor's metadata) are dropped. What is kept is never shown inline in a
// page: it is served as an image with a policy that forbids script (web/site_assets.go).

const (
	svgNS   = "http://www.w3.org/2000/svg"
	xlinkNS = "http://www.w3.org/1999/xlink"
	xhtmlNS = "http://www.w3.org/1999/xhtml"

	svgMaxDepth    = 64
	svgMaxElements = 5000
)

// SVGError is why an SVG was refused, as a message for the user.
type SVGError struct{ Msg i18n.Msg }

func (e *SVGError) Error() string { return "identity: svg: " + e.Msg.Key }

func svgErr(key string, args ...any) error { return &SVGError{Msg: i18n.M(key, args...)} }

// svgElements are the SVG elements kept.
var svgElements = map[string]bool{
	"svg": true, "g": true, "path": true, "circle": true, "ellipse": true, "rect": true, "line": true,
	"polyline": true, "polygon": true, "title": true, "desc": true, "defs": true, "linearGradient": true,
	"radialGradient": true, "stop": true, "text": true, "tspan": true, "clipPath": true, "mask": true,
	"symbol": true, "use": true,
}

// svgDropped are SVG elements removed with their content without refusing the file.
var svgDropped = map[string]bool{"metadata": true}

// svgAttrs are the attributes kept (without a namespace); others are dropped.
var svgAttrs = map[string]bool{}

func init() {
	for a := range strings.FieldsSeq(`id class viewBox width height x y x1 y1 x2 y2 cx cy r rx ry fx fy d points
		dx dy rotate fill fill-opacity fill-rule stroke stroke-width stroke-linecap stroke-linejoin
		stroke-miterlimit stroke-dasharray stroke-dashoffset stroke-opacity opacity transform
		gradientUnits gradientTransform spreadMethod offset stop-color stop-opacity preserveAspectRatio
		font-family font-size font-weight font-style text-anchor dominant-baseline letter-spacing
		clip-path clip-rule clipPathUnits mask maskUnits maskContentUnits visibility display
		color style version role aria-label aria-hidden focusable lang paint-order vector-effect
		shape-rendering text-rendering textLength lengthAdjust`) {
		svgAttrs[a] = true
	}
}

// SanitizeSVG checks an SVG and writes it anew from what is allowed. It returns the new file
// and the image's size in CSS pixels (from width and height, or the viewBox), which must not
// exceed maxSide. The error is an *SVGError.
func SanitizeSVG(data []byte, maxSide int) (out []byte, width, height int, err error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	var b bytes.Buffer
	type open struct {
		name string
		text bool // character data inside is kept
	}
	var stack []open
	skip := 0 // depth inside a dropped element
	elements := 0
	rootSeen := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, 0, svgErr("identity.error.svg_parse")
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, 0, 0, svgErr("identity.error.svg_doctype")
		case xml.ProcInst, xml.Comment:
			// Dropped: an XML declaration, an editor's note.
		case xml.CharData:
			if skip == 0 && len(stack) > 0 && stack[len(stack)-1].text {
				_ = xml.EscapeText(&b, t)
			}
		case xml.StartElement:
			elements++
			if elements > svgMaxElements || len(stack)+skip >= svgMaxDepth {
				return nil, 0, 0, svgErr("identity.error.svg_complex")
			}
			if skip > 0 {
				skip++
				if t.Name.Space == svgNS || t.Name.Space == xhtmlNS {
					if err := refusedElement(t.Name); err != nil {
						return nil, 0, 0, err
					}
				}
				continue
			}
			name := t.Name.Local
			switch {
			case t.Name.Space == xhtmlNS:
				return nil, 0, 0, svgErr("identity.error.svg_element", "name", name)
			case t.Name.Space != svgNS && t.Name.Space != "":
				skip = 1 // another vocabulary: an editor's own elements
				continue
			case !rootSeen && name != "svg":
				return nil, 0, 0, svgErr("identity.error.svg_parse")
			case svgDropped[name]:
				skip = 1
				continue
			case !svgElements[name]:
				return nil, 0, 0, svgErr("identity.error.svg_element", "name", name)
			}
			b.WriteString("<" + name)
			if !rootSeen {
				b.WriteString(` xmlns="` + svgNS + `"`)
			}
			for _, a := range t.Attr {
				kept, value, err := svgAttr(name, a)
				if err != nil {
					return nil, 0, 0, err
				}
				if kept != "" {
					b.WriteString(" " + kept + `="`)
					_ = xml.EscapeText(&b, []byte(value))
					b.WriteString(`"`)
				}
			}
			b.WriteString(">")
			if !rootSeen {
				rootSeen = true
				if width, height, err = svgSize(t.Attr, maxSide); err != nil {
					return nil, 0, 0, err
				}
			}
			stack = append(stack, open{name: name, text: name == "title" || name == "desc" || name == "text" || name == "tspan"})
		case xml.EndElement:
			if skip > 0 {
				skip--
				continue
			}
			if len(stack) == 0 {
				return nil, 0, 0, svgErr("identity.error.svg_parse")
			}
			b.WriteString("</" + stack[len(stack)-1].name + ">")
			stack = stack[:len(stack)-1]
		}
	}
	if !rootSeen || len(stack) != 0 {
		return nil, 0, 0, svgErr("identity.error.svg_parse")
	}
	return b.Bytes(), width, height, nil
}

// refusedElement refuses, inside a dropped part, what would run or fetch if a reader kept it.
func refusedElement(n xml.Name) error {
	if n.Space == xhtmlNS || !svgElements[n.Local] && !svgDropped[n.Local] {
		return svgErr("identity.error.svg_element", "name", n.Local)
	}
	return nil
}

// svgAttr decides about one attribute of element el: the name to write it under ("" to drop
// it) and its value, or an error that refuses the file.
func svgAttr(el string, a xml.Attr) (string, string, error) {
	local, v := a.Name.Local, a.Value
	lower := strings.ToLower(local)
	if strings.HasPrefix(lower, "on") {
		return "", "", svgErr("identity.error.svg_event", "name", local)
	}
	switch a.Name.Space {
	case "":
	case xlinkNS:
		if local != "href" {
			return "", "", nil
		}
	default:
		return "", "", nil // xmlns declarations (written anew), xml:space, an editor's own
	}
	if local == "xmlns" {
		return "", "", nil
	}
	if local == "href" {
		if !strings.HasPrefix(v, "#") || strings.ContainsAny(v, " \t\r\n()") {
			return "", "", svgErr("identity.error.svg_reference")
		}
		return "href", v, nil
	}
	if !svgAttrs[local] {
		return "", "", nil
	}
	if err := checkSVGValue(v); err != nil {
		return "", "", err
	}
	return local, v, nil
}

// checkSVGValue refuses an attribute value that could reach outside the file: url() other than
// a fragment, CSS escapes or at-rules that could hide one, and script URLs.
func checkSVGValue(v string) error {
	l := strings.ToLower(v)
	if strings.ContainsAny(l, `\@`) || strings.Contains(l, "javascript:") || strings.Contains(l, "expression(") {
		return svgErr("identity.error.svg_reference")
	}
	for rest := l; ; {
		i := strings.Index(rest, "url(")
		if i < 0 {
			return nil
		}
		rest = strings.TrimLeft(rest[i+4:], " \t\r\n'\"")
		if !strings.HasPrefix(rest, "#") {
			return svgErr("identity.error.svg_reference")
		}
	}
}

// svgSize reads the root's size: width and height in user units or px, else the viewBox.
func svgSize(attrs []xml.Attr, maxSide int) (int, int, error) {
	var w, h float64
	var viewBox string
	for _, a := range attrs {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "width":
			w = svgLength(a.Value)
		case "height":
			h = svgLength(a.Value)
		case "viewBox":
			viewBox = a.Value
		}
	}
	if (w <= 0 || h <= 0) && viewBox != "" {
		f := strings.FieldsFunc(viewBox, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' })
		if len(f) == 4 {
			vw, err1 := strconv.ParseFloat(f[2], 64)
			vh, err2 := strconv.ParseFloat(f[3], 64)
			if err1 == nil && err2 == nil {
				w, h = vw, vh
			}
		}
	}
	if !(w > 0 && h > 0) || math.IsInf(w, 0) || math.IsInf(h, 0) {
		return 0, 0, svgErr("identity.error.svg_size")
	}
	if w > float64(maxSide) || h > float64(maxSide) {
		return 0, 0, &SVGError{Msg: i18n.Msg{Key: "identity.error.too_many_pixels", Count: &maxSide,
			Args: []any{"size", fmt.Sprintf("%g×%g", math.Ceil(w), math.Ceil(h))}}}
	}
	return max(1, int(math.Round(w))), max(1, int(math.Round(h))), nil
}

// svgLength reads a length in user units or px; other units (%, em, cm) give 0.
func svgLength(s string) float64 {
	s = strings.TrimSuffix(strings.TrimSpace(s), "px")
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) {
		return 0
	}
	return v
}
