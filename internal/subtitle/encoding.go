package subtitle

import (
	"bytes"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/korean"
	xunicode "golang.org/x/text/encoding/unicode"
)

// Encoding names a character encoding by the name Parse, ParseFormat and ParseEncoding use.
type Encoding string

// The encodings subtitle files really come in. Korean SAMI files are CP949 (Windows' superset of
// EUC-KR); Russian SRT files are Windows-1251, older ones KOI8-R; Windows-1252 is the fallback
// for Western European files, and ISO-8859-1 is read as it, as browsers do.
const (
	EncodingAuto Encoding = "" // detect from the content
	UTF8         Encoding = "utf-8"
	UTF16LE      Encoding = "utf-16le"
	UTF16BE      Encoding = "utf-16be"
	CP949        Encoding = "cp949"
	Windows1251  Encoding = "windows-1251"
	KOI8R        Encoding = "koi8-r"
	Windows1252  Encoding = "windows-1252"
)

// encodingAliases maps the names people and files use (lower case, "_" read as "-") to an
// Encoding.
var encodingAliases = map[string]Encoding{
	"": EncodingAuto, "auto": EncodingAuto,
	"utf-8": UTF8, "utf8": UTF8, "ascii": UTF8, "us-ascii": UTF8,
	"utf-16le": UTF16LE, "utf16le": UTF16LE, "utf-16": UTF16LE, "utf16": UTF16LE, "unicode": UTF16LE,
	"utf-16be": UTF16BE, "utf16be": UTF16BE,
	"cp949": CP949, "ms949": CP949, "windows-949": CP949, "uhc": CP949, "euc-kr": CP949,
	"euckr": CP949, "ks-c-5601-1987": CP949, "ksc5601": CP949, "korean": CP949,
	"windows-1251": Windows1251, "cp1251": Windows1251, "win1251": Windows1251, "x-cp1251": Windows1251,
	"koi8-r": KOI8R, "koi8r": KOI8R, "koi8": KOI8R, "cskoi8r": KOI8R,
	"windows-1252": Windows1252, "cp1252": Windows1252, "latin1": Windows1252,
	"iso-8859-1": Windows1252, "iso8859-1": Windows1252, "l1": Windows1252,
}

// ParseEncoding returns the Encoding a name stands for, case-insensitively and with the usual
// aliases ("EUC-KR" and "ms949" are CP949, "cp1251" is Windows-1251, "" and "auto" mean detect).
// An unknown name gives an *Error with CodeUnknownEncoding.
func ParseEncoding(name string) (Encoding, error) {
	key := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "_", "-")
	if enc, ok := encodingAliases[key]; ok {
		return enc, nil
	}
	return "", &Error{Code: CodeUnknownEncoding}
}

var (
	utf16LEBOM = []byte{0xFF, 0xFE}
	utf16BEBOM = []byte{0xFE, 0xFF}
)

// encodingGuess is what detection found: the encoding most of the file is in, and, for a file
// whose lines are in different encodings, the legacy one its non-UTF-8 lines are in.
type encodingGuess struct {
	primary   Encoding
	legacy    Encoding // set only when the file mixes UTF-8 lines with legacy ones
	uncertain bool     // no legacy candidate decoded to plausible text
}

func detectEncoding(data []byte) encodingGuess {
	switch {
	case bytes.HasPrefix(data, utf8BOM):
		return encodingGuess{primary: UTF8}
	case bytes.HasPrefix(data, utf16LEBOM):
		return encodingGuess{primary: UTF16LE}
	case bytes.HasPrefix(data, utf16BEBOM):
		return encodingGuess{primary: UTF16BE}
	}
	if enc, ok := detectUTF16ByNULs(data); ok {
		return encodingGuess{primary: enc}
	}
	if utf8.Valid(data) {
		return encodingGuess{primary: UTF8}
	}
	if enc := declaredCharset(data); enc != EncodingAuto && enc != UTF8 && enc != UTF16LE && enc != UTF16BE {
		return encodingGuess{primary: enc}
	}

	// Score the lines that are not UTF-8, then sort out the ones that are: a file with both is
	// a paste of two files, and each line is decoded in its own encoding.
	var sample []byte
	legacyLines, validLines, cutLines := 0, 0, 0
	for line := range bytes.Lines(data) {
		switch {
		case isASCII(line):
		case utf8.Valid(line):
			validLines++
		default:
			legacyLines++
			if isCutUTF8(line) {
				cutLines++
			}
			if len(sample) < detectionSampleSize {
				sample = append(sample, line...)
			}
		}
	}
	legacy, score := bestLegacyEncoding(sample)
	g := encodingGuess{primary: legacy, uncertain: score < plausibleTextScore}
	if cutLines == legacyLines && (g.uncertain || cutUTF8ReadsBetter(sample, legacy)) {
		// Every line that is not UTF-8 is UTF-8 with a character cut off, and the legacy
		// encoding does not read those lines better: the file is UTF-8, and the broken
		// sequences become U+FFFD (cleanText warns) rather than the file turning into mojibake.
		return encodingGuess{primary: UTF8}
	}
	if validLines == 0 {
		return g
	}
	utf8Lines := 0
	for line := range bytes.Lines(data) {
		if !isASCII(line) && isUTF8Line(line, legacy) {
			utf8Lines++
		}
	}
	if utf8Lines > 0 {
		g.legacy = legacy
		if utf8Lines > legacyLines+validLines-utf8Lines {
			g.primary = UTF8
		}
	}
	return g
}

// isCutUTF8 reports a line that is not valid UTF-8 but nearly: at least two valid multi-byte
// sequences for each broken one, as when an editor cut a character in half. Text in a legacy
// encoding has the opposite proportion: its bytes above 0x7F rarely form valid UTF-8 sequences
// (about one CP949 syllable in ten does, hardly any Windows-1251 or Windows-1252 letter).
func isCutUTF8(line []byte) bool {
	valid, broken := 0, 0
	for i := 0; i < len(line); {
		if line[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(line[i:])
		if r == utf8.RuneError && size == 1 {
			broken++
			i += invalidUTF8Length(line[i:])
			continue
		}
		valid++
		i += size
	}
	return broken > 0 && valid >= 2*broken
}

// cutUTF8ReadsBetter reports whether lines that are nearly UTF-8 (see isCutUTF8) read at least
// as well as UTF-8, with U+FFFD for the broken sequences, as in the legacy encoding.
func cutUTF8ReadsBetter(sample []byte, legacy Encoding) bool {
	other, err := legacyDecoder(legacy).Bytes(sample)
	if err != nil {
		return true
	}
	score := scoreFor(legacy)
	return score(strings.ToValidUTF8(string(sample), "\uFFFD")) >= score(string(other))
}

// isUTF8Line decides a line of a file that is not all UTF-8: it is UTF-8 if it is valid UTF-8
// and reads at least as well as in the file's legacy encoding. Validity alone is not enough:
// about one CP949 syllable in ten is also a valid two-byte UTF-8 sequence.
func isUTF8Line(line []byte, legacy Encoding) bool {
	if !utf8.Valid(line) {
		return false
	}
	other, err := legacyDecoder(legacy).Bytes(line)
	if err != nil {
		return true
	}
	score := scoreFor(legacy)
	return score(string(line)) >= score(string(other))
}

// scoreFor returns the text-likeness score of an encoding's language.
func scoreFor(enc Encoding) func(string) float64 {
	switch enc {
	case CP949:
		return scoreKorean
	case Windows1251, KOI8R:
		return scoreRussian
	default:
		return scoreWestern
	}
}

// detectionSampleSize bounds how much text the legacy-encoding scores decode: the first 64 KiB
// of non-UTF-8 lines tell the encodings apart as well as 100 MiB would.
const detectionSampleSize = 64 << 10

// plausibleTextScore is the score (see scoreKorean, scoreRussian) below which a decoding does not
// look like real text: real Korean and Russian subtitles score above 0.8, wrong decodings below
// 0.3.
const plausibleTextScore = 0.5

// detectUTF16ByNULs recognises UTF-16 without a byte order mark: subtitle files are full of
// ASCII (digits, colons, arrows, line breaks), which UTF-16 writes with a NUL high byte, so NULs
// cluster on odd offsets (little-endian) or even ones (big-endian).
func detectUTF16ByNULs(data []byte) (Encoding, bool) {
	n := min(len(data), 4096) &^ 1
	if n < 16 {
		return "", false // too little to tell NUL bytes in text from UTF-16
	}
	var zeroEven, zeroOdd int
	for i := 0; i < n; i += 2 {
		if data[i] == 0 {
			zeroEven++
		}
		if data[i+1] == 0 {
			zeroOdd++
		}
	}
	pairs := n / 2
	switch {
	case zeroOdd*10 >= pairs*4 && zeroEven*20 <= pairs:
		return UTF16LE, true
	case zeroEven*10 >= pairs*4 && zeroOdd*20 <= pairs:
		return UTF16BE, true
	}
	return "", false
}

// declaredCharset finds an encoding named near the start of the file by an XML declaration
// (encoding="…") or an HTML meta tag (charset=…), as TTML and SAMI files sometimes carry.
func declaredCharset(data []byte) Encoding {
	head := strings.ToLower(string(data[:min(len(data), 1024)]))
	for _, key := range []string{"encoding=", "charset="} {
		i := strings.Index(head, key)
		if i < 0 {
			continue
		}
		rest := strings.TrimLeft(head[i+len(key):], `"' `)
		end := strings.IndexAny(rest, `"'; >?`)
		if end < 0 {
			continue
		}
		if enc, err := ParseEncoding(rest[:end]); err == nil {
			return enc
		}
	}
	return EncodingAuto
}

func isASCII(p []byte) bool {
	for _, c := range p {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// bestLegacyEncoding decodes sample with each legacy candidate and returns the one that scores
// highest (the earlier one on a tie), falling back to Windows-1252 when none looks like real
// text.
func bestLegacyEncoding(sample []byte) (Encoding, float64) {
	best, bestScore := Windows1252, 0.0
	for _, c := range []struct {
		enc   Encoding
		score func(string) float64
	}{
		{CP949, scoreKorean},
		{Windows1251, scoreRussian},
		{KOI8R, scoreRussian},
		{Windows1252, scoreWestern},
	} {
		text, err := legacyDecoder(c.enc).Bytes(sample)
		if err != nil {
			continue
		}
		if s := c.score(string(text)); s > bestScore {
			best, bestScore = c.enc, s
		}
	}
	if bestScore < plausibleTextScore {
		return Windows1252, bestScore
	}
	return best, bestScore
}

// scoreKorean rates how much a decoding looks like Korean: the share of its non-ASCII
// characters that are Hangul syllables, each counting fully when the text's syllables include
// the common ones real Korean is made of, half otherwise (a couple of Cyrillic capitals also
// decode to Hangul in CP949: "Да" reads as one syllable). Cyrillic letters count almost fully,
// since CP949 encodes them and a Korean–Russian file has both; Hanja count a little (they appear
// in Korean text, and are what Windows-1251 lower case mostly decodes to in CP949); undecodable
// bytes count heavily against.
func scoreKorean(s string) float64 {
	var hangul, common, cyrillic, hanja, bad, total float64
	for _, r := range s {
		if r < utf8.RuneSelf {
			continue
		}
		total++
		switch {
		case r >= 0xAC00 && r <= 0xD7A3:
			hangul++
			if commonHangul[r] {
				common++
			}
		case r >= 'А' && r <= 'я' || r == 'Ё' || r == 'ё':
			cyrillic++
		case unicode.Is(unicode.Han, r):
			hanja++
		case r == utf8.RuneError:
			bad++
		}
	}
	if total == 0 {
		return 0
	}
	weight := 0.5
	if hangul > 0 {
		weight += 0.5 * min(1, common/hangul/0.25)
	}
	return (weight*hangul + 0.9*cyrillic + 0.25*hanja - 2*bad) / total
}

// commonHangul holds syllables frequent in Korean text: in real text, a quarter or more of the
// syllables are among them; in bytes of another encoding read as CP949, few are.
var commonHangul = func() map[rune]bool {
	const syllables = "이다는의에고하가을지기서로한리사자도를으대정수인일시어국나부아전해제게구주적상만들것" +
		"있보우여소장경원내성방오면문과동미요니까라습그말무분생안없좋모화회학중유연거할입민신" +
		"저와때위후계관조실공개선체바운발비물마행러함께합녕세했된데며던겠네야죠음람울산강년월" +
		"날감힘응드립님코병료진너당알같늘받또더잘못씨왜뭐떻래금오늘싶은운영려워주세요십니다"
	m := map[rune]bool{}
	for _, r := range syllables {
		m[r] = true
	}
	return m
}()

// russianLetterFrequency is the frequency of each letter in Russian text (per mille, case
// folded, ё counted as е), from the Russian National Corpus.
var russianLetterFrequency = map[rune]float64{
	'о': 109.7, 'е': 84.9, 'а': 80.1, 'и': 73.5, 'н': 67.0, 'т': 62.6, 'с': 54.7, 'р': 47.3,
	'в': 45.4, 'л': 44.0, 'к': 34.9, 'м': 32.1, 'д': 29.8, 'п': 28.1, 'у': 26.2, 'я': 20.1,
	'ы': 19.0, 'ь': 17.4, 'г': 17.0, 'з': 16.5, 'б': 15.9, 'ч': 14.4, 'й': 12.1, 'х': 9.7,
	'ж': 9.4, 'ш': 7.3, 'ю': 6.4, 'ц': 4.8, 'щ': 3.6, 'э': 3.2, 'ф': 2.6, 'ъ': 0.4,
}

// scoreRussian rates how much a decoding looks like Russian. Windows-1251 and KOI8-R both put
// Cyrillic letters on every byte from 0xC0 up, in different orders and with upper and lower case
// swapped, so the right one is told from the wrong one by letter frequencies (the wrong one
// shuffles the alphabet: its text has the letter statistics of noise, even in all capitals) and
// by case: ordinary text is mostly lower case and about 40% vowels, and the wrong encoding turns
// its lower-case letters into capitals. Letters glued to ASCII letters in one word are what
// Western European text decodes to, and count against.
func scoreRussian(s string) float64 {
	var letters, lowerVowels, mixed, bad, total, logProb float64
	prevASCIILetter := false
	var prevCyrillic bool
	for _, r := range s {
		asciiLetter := r < utf8.RuneSelf && ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
		if r < utf8.RuneSelf {
			if asciiLetter && prevCyrillic {
				mixed++
			}
			prevASCIILetter, prevCyrillic = asciiLetter, false
			continue
		}
		total++
		isLetter := r >= 'А' && r <= 'я' || r == 'Ё' || r == 'ё'
		if isLetter {
			letters++
			folded := unicode.ToLower(r)
			if folded == 'ё' {
				folded = 'е'
			}
			logProb += math.Log2(russianLetterFrequency[folded] / 1000)
			if strings.ContainsRune("аеёиоуыэюя", r) {
				lowerVowels++
			}
			if prevASCIILetter {
				mixed++
			}
		} else if r == utf8.RuneError {
			bad++
		}
		prevASCIILetter, prevCyrillic = false, isLetter
	}
	if total == 0 || letters == 0 {
		return 0
	}
	// Russian text averages about -4.4 bits a letter under these frequencies; a shuffled
	// alphabet about -5.5 or lower.
	frequency := max(0, min(1, (logProb/letters+5.3)/0.8))
	vowels := min(1, lowerVowels/letters/0.3)
	quality := 0.8*frequency + 0.2*vowels
	return letters/total*quality*max(0, 1-mixed/letters) - 2*bad/total
}

// scoreWestern rates how much a decoding looks like Western European text, whose accented
// letters sit inside words of ASCII letters ("café", "Größe"): the share of non-ASCII characters
// that are Latin letters next to an ASCII letter, less the symbols and control characters that
// mis-decoded UTF-8 turns into ("cafÃ©"). Cyrillic read as Windows-1252 is all accented letters
// ("Ïðèâåò") with no ASCII letter near, and scores nothing.
func scoreWestern(s string) float64 {
	runes := []rune(s)
	asciiLetter := func(i int) bool {
		return i >= 0 && i < len(runes) && runes[i] < utf8.RuneSelf && unicode.IsLetter(runes[i])
	}
	var good, bad, total float64
	for i, r := range runes {
		if r < utf8.RuneSelf {
			continue
		}
		total++
		switch {
		case isUTF8LeadAsLatin1(r) && i+1 < len(runes) && isUTF8TrailAsWindows1252(runes[i+1]),
			i > 0 && isUTF8LeadAsLatin1(runes[i-1]) && isUTF8TrailAsWindows1252(r):
			bad++ // "Ã¼": a UTF-8 character read as two
		case unicode.Is(unicode.Latin, r) && (asciiLetter(i-1) || asciiLetter(i+1)):
			good++
		case r == utf8.RuneError, r >= 0x80 && r <= 0x9F, unicode.IsSymbol(r):
			bad++
		}
	}
	if total == 0 {
		return 0
	}
	return (good - bad) / total
}

// isUTF8LeadAsLatin1 reports the characters Windows-1252 reads a UTF-8 lead byte of Latin,
// Greek or Cyrillic text as (0xC2–0xDF: "Ã", "Â", "Ð", "Ñ").
func isUTF8LeadAsLatin1(r rune) bool { return r >= 0xC2 && r <= 0xDF }

// isUTF8TrailAsWindows1252 reports the characters Windows-1252 reads a UTF-8 continuation byte
// (0x80–0xBF) as: U+00A0–U+00BF, and the letters and punctuation of 0x80–0x9F.
func isUTF8TrailAsWindows1252(r rune) bool {
	return r >= 0xA0 && r <= 0xBF || r >= 0x80 && r <= 0x9F ||
		strings.ContainsRune("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ", r)
}

// legacyDecoder returns the x/text decoder of a single- or double-byte encoding.
func legacyDecoder(enc Encoding) *encoding.Decoder {
	switch enc {
	case CP949:
		// x/text's EUCKR is the WHATWG "EUC-KR", which is Windows code page 949 (UHC).
		return korean.EUCKR.NewDecoder()
	case Windows1251:
		return charmap.Windows1251.NewDecoder()
	case KOI8R:
		return charmap.KOI8R.NewDecoder()
	default:
		return charmap.Windows1252.NewDecoder()
	}
}

// decoded is the result of decodeText: the text, the encoding used, and what was repaired.
type decoded struct {
	text     string
	encoding Encoding
	warnings []*Error
}

func decodeText(data []byte, enc Encoding) (decoded, error) {
	var guess encodingGuess
	if enc == EncodingAuto {
		guess = detectEncoding(data)
	} else {
		if _, known := encodingByName(enc); !known {
			return decoded{}, &Error{Code: CodeUnknownEncoding}
		}
		guess = encodingGuess{primary: enc}
	}
	var d decoded
	d.encoding = guess.primary
	if guess.uncertain {
		d.warnings = append(d.warnings, &Error{Code: CodeEncodingUncertain})
	}

	var raw []byte
	switch {
	case guess.legacy != "":
		var firstOther int
		raw, firstOther = decodeMixed(data, guess)
		d.warnings = append(d.warnings, &Error{Code: CodeMixedEncoding, Line: firstOther})
	case guess.primary == UTF16LE || guess.primary == UTF16BE:
		raw = decodeUTF16(data, guess.primary)
	case guess.primary == UTF8:
		raw = data
	default:
		// The legacy decoders cannot fail: unmapped bytes become U+FFFD.
		raw, _ = legacyDecoder(guess.primary).Bytes(data)
	}
	text, warnings, err := cleanText(raw)
	if err != nil {
		return decoded{}, err
	}
	d.text = text
	d.warnings = append(d.warnings, warnings...)
	return d, nil
}

// encodingByName reports whether enc is one of the Encoding constants.
func encodingByName(enc Encoding) (Encoding, bool) {
	switch enc {
	case UTF8, UTF16LE, UTF16BE, CP949, Windows1251, KOI8R, Windows1252:
		return enc, true
	}
	return "", false
}

// decodeUTF16 decodes UTF-16 in the given byte order, or in the one its BOM says.
func decodeUTF16(data []byte, enc Encoding) []byte {
	order := xunicode.LittleEndian
	if enc == UTF16BE {
		order = xunicode.BigEndian
	}
	switch {
	case bytes.HasPrefix(data, utf16LEBOM):
		order, data = xunicode.LittleEndian, data[2:]
	case bytes.HasPrefix(data, utf16BEBOM):
		order, data = xunicode.BigEndian, data[2:]
	}
	// Unpaired surrogates and a final odd byte become U+FFFD; the decoder reports no error.
	out, _ := xunicode.UTF16(order, xunicode.IgnoreBOM).NewDecoder().Bytes(data)
	return out
}

// decodeMixed decodes a file line by line: lines that are valid UTF-8 as UTF-8, the others in
// the legacy encoding. It returns the 1-based number of the first line not in the file's primary
// encoding, for the warning.
func decodeMixed(data []byte, g encodingGuess) ([]byte, int) {
	dec := legacyDecoder(g.legacy)
	out := make([]byte, 0, len(data)+len(data)/2)
	firstOther, lineNo := 0, 0
	for line := range bytes.Lines(data) {
		lineNo++
		if isASCII(line) {
			out = append(out, line...)
			continue
		}
		isUTF8 := isUTF8Line(line, g.legacy)
		if firstOther == 0 && isUTF8 != (g.primary == UTF8) {
			firstOther = lineNo
		}
		if isUTF8 {
			out = append(out, line...)
			continue
		}
		text, _ := dec.Bytes(line)
		out = append(out, text...)
	}
	return out, firstOther
}

// maxControlShare is the share of control characters above which input is binary: text has
// none but tabs and line breaks, random bytes about one in eight.
const maxControlShare = 0.02

// cleanText turns decoded bytes into the text the parsers read: valid UTF-8 (each maximal
// invalid subsequence replaced by U+FFFD, with a warning naming the first line that had one), no BOM, LF line breaks, NUL replaced by U+FFFD and a
// trailing run of NULs dropped. It refuses input with too many control characters.
func cleanText(raw []byte) (string, []*Error, error) {
	var warnings []*Error
	trimmed := bytes.TrimRight(raw, "\x00")
	if len(trimmed) < len(raw) {
		warnings = append(warnings, &Error{Code: CodeNULBytes, Line: bytes.Count(trimmed, []byte{'\n'}) + 1})
	}
	raw = trimmed
	raw = bytes.TrimPrefix(raw, utf8BOM)
	if utf8.Valid(raw) && bytes.IndexByte(raw, 0) < 0 && bytes.IndexByte(raw, '\r') < 0 &&
		!bytes.Contains(raw, utf8BOM) && !hasControls(raw) {
		return string(raw), warnings, nil
	}

	var b strings.Builder
	b.Grow(len(raw))
	line := 1
	controls, runes := 0, 0
	nulLine, bomLine, invalidLine := 0, 0, 0
	for i := 0; i < len(raw); {
		// Copy the run of plain printable ASCII up to the next byte that needs a look.
		plain := i
		for plain < len(raw) && raw[plain] >= 0x20 && raw[plain] < 0x7F {
			plain++
		}
		if plain > i {
			runes += plain - i
			b.Write(raw[i:plain])
			i = plain
			continue
		}
		c := raw[i]
		runes++
		if c < utf8.RuneSelf {
			switch {
			case c == '\n':
				line++
				b.WriteByte(c)
			case c == '\r':
				line++
				b.WriteByte('\n')
				if i+1 < len(raw) && raw[i+1] == '\n' {
					i++
				}
			case c == 0:
				controls++
				if nulLine == 0 {
					nulLine = line
				}
				b.WriteRune(utf8.RuneError)
			default:
				if isControl(c) {
					controls++
				}
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(raw[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			if invalidLine == 0 {
				invalidLine = line
			}
			b.WriteRune(utf8.RuneError)
			i += invalidUTF8Length(raw[i:])
			continue
		case r == '\uFEFF':
			if bomLine == 0 {
				bomLine = line
			}
		default:
			b.Write(raw[i : i+size])
		}
		i += size
	}
	if controls >= 8 && float64(controls) > maxControlShare*float64(runes) {
		return "", nil, &Error{Code: CodeBinary}
	}
	if nulLine > 0 {
		warnings = append(warnings, &Error{Code: CodeNULBytes, Line: nulLine})
	}
	if bomLine > 0 {
		warnings = append(warnings, &Error{Code: CodeBOMRemoved, Line: bomLine})
	}
	if invalidLine > 0 {
		warnings = append(warnings, &Error{Code: CodeInvalidUTF8, Line: invalidLine})
	}
	return b.String(), warnings, nil
}

// isControl reports C0 control bytes other than the whitespace text files contain (tab, line
// feed, vertical tab, form feed, carriage return).
func isControl(c byte) bool {
	return c < 0x20 && (c < '\t' || c > '\r') || c == 0x7F
}

func hasControls(p []byte) bool {
	for _, c := range p {
		if isControl(c) {
			return true
		}
	}
	return false
}
