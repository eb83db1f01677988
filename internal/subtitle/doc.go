// Package subtitle reads and writes subtitle and caption files into one model — a Track of Cues,
// with the Regions and style blocks that come with them — so the rest of sistercity can store,
// validate, translate and publish subtitle tracks without knowing the file format they came in.
//
// WebVTT is the reference format. ParseWebVTTLimit follows the W3C "WebVTT parser algorithm"
// (https://www.w3.org/TR/webvtt1/#file-parsing) step by step, so a file loads here exactly as it
// loads in a browser's <track> element; WriteWebVTT writes a normalised file that parses back to
// the same Track. Cue text is kept raw in Cue.Text: ParseCueText builds its node tree by the
// "WebVTT cue text parsing rules", and SanitizeCueText re-serialises it keeping only the markup
// WebVTT defines, with every <, > and & escaped, so nothing in a subtitle file can inject HTML.
//
// The other formats are read into the same model, with WebVTT cue text as the common markup:
// SubRip, SAMI (one Track per language class), ASS/SSA, TTML, DFXP and IMSC, and YouTube's SBV,
// through ParseFormat (or Parse, which detects the format). Their parsers are lenient the way real
// files need — they skip what they cannot read and note it — and build each cue's text as a
// CueNode tree, so it reaches the Track already sanitised. Parse picks the format (Detect) and the
// character encoding (UTF-8, UTF-16, CP949, Windows-1251, KOI8-R,
// Windows-1252) and reports what it detected and repaired. WriteSRT, WriteSBV and WriteTTML
// export a Track. Validate checks a track before publishing: timing errors block it, readability
// problems (reading speed, line width, line count, per language) are warnings.
//
// The package is a leaf library: it does no I/O beyond the io.Reader and io.Writer it is given
// and uses only the standard library and golang.org/x/text (encodings, language tags, character
// widths). Input is bounded (DefaultMaxInputSize) and no input makes it panic. Errors and
// warnings are *Error values carrying a stable Code and a line number, never prose for users:
// user-facing messages come from the locale catalogs.
package subtitle
