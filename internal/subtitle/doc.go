// Package subtitle reads and writes subtitle and caption files into one model — a Track of Cues,
// with the Regions and style blocks that come with them — so the rest of sistercity can store,
// validate, translate and publish subtitle tracks without knowing the file format they came in.
//
// WebVTT is the first format. ParseWebVTT follows the W3C "WebVTT parser algorithm"
// (https://www.w3.org/TR/webvtt1/#file-parsing) step by step, so a file loads here exactly as it
// loads in a browser's <track> element; WriteWebVTT writes a normalised file that parses back to
// the same Track. Cue text is kept raw in Cue.Text: ParseCueText builds its node tree by the
// "WebVTT cue text parsing rules", and SanitizeCueText re-serialises it keeping only the markup
// WebVTT defines, with every <, > and & escaped, so nothing in a subtitle file can inject HTML.
//
// The package is a leaf library: it does no I/O beyond the io.Reader and io.Writer it is given
// and uses only the standard library. Errors are *Error values carrying a stable Code and a line
// number, never prose for users: user-facing messages come from the locale catalogs.
package subtitle
