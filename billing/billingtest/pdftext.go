package billingtest

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

var (
	pdfStream = regexp.MustCompile(`(?s)<<(.*?)>>\s*stream\r?\n`)
	pdfLength = regexp.MustCompile(`/Length (\d+)\b`)
)

// PDFText reads a PDF back as text, so a test can assert what a person
// would read: every string shown between BT and ET of every page content
// stream (inflated when FlateDecode), one line per text operator, decoded
// as UTF-16BE under a Type0 (fpdf's UTF-8) font and from Windows-1252 (the
// core fonts' encoding) under any other. It is enough for the PDFs this
// project writes (literal strings), not a general reader.
func PDFText(pdf []byte) (string, error) {
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return "", fmt.Errorf("not a PDF: starts with %q", pdf[:min(len(pdf), 8)])
	}
	if !bytes.Contains(pdf[max(0, len(pdf)-1024):], []byte("%%EOF")) {
		return "", fmt.Errorf("the PDF has no %%%%EOF trailer")
	}
	var out strings.Builder
	for _, m := range pdfStream.FindAllSubmatchIndex(pdf, -1) {
		dict := string(pdf[m[2]:m[3]])
		start := m[1]
		end := bytes.Index(pdf[start:], []byte("endstream"))
		if end < 0 {
			return "", fmt.Errorf("a stream without endstream at byte %d", start)
		}
		data := bytes.TrimRight(pdf[start:start+end], "\r\n")
		// The dictionary's /Length says where the data ends: compressed
		// bytes may themselves end in a newline.
		if l := pdfLength.FindStringSubmatch(dict); l != nil {
			if n, err := strconv.Atoi(l[1]); err == nil && n <= end {
				data = pdf[start : start+n]
			}
		}
		if strings.Contains(dict, "/FlateDecode") {
			r, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				return "", fmt.Errorf("stream at byte %d: %w", start, err)
			}
			if data, err = io.ReadAll(r); err != nil {
				return "", fmt.Errorf("stream at byte %d: %w", start, err)
			}
		}
		textOf(data, unicodeFonts(pdf), &out)
	}
	return out.String(), nil
}

var (
	pdfType0    = regexp.MustCompile(`(\d+) 0 obj\s*<</Type /Font\s*/Subtype /Type0`)
	pdfFontRef  = regexp.MustCompile(`/(F\w+) (\d+) 0 R`)
	pdfCIDToGID = regexp.MustCompile(`/CIDToGIDMap (\d+) 0 R`)
	pdfTf       = regexp.MustCompile(`^/(F\w+) [\d.]+ Tf`)
)

// unicodeFonts are the resource names of the document's Type0 fonts.
func unicodeFonts(pdf []byte) map[string]bool {
	type0 := map[string]bool{}
	for _, m := range pdfType0.FindAllSubmatch(pdf, -1) {
		type0[string(m[1])] = true
	}
	out := map[string]bool{}
	for _, m := range pdfFontRef.FindAllSubmatch(pdf, -1) {
		if type0[string(m[2])] {
			out[string(m[1])] = true
		}
	}
	return out
}

// PDFGlyphs are the characters the PDF's embedded UTF-8 fonts draw with a
// glyph of their own: fpdf shows a character by its code point, and the
// font's CIDToGIDMap maps each code point to a glyph of the embedded
// subset, or to 0 (.notdef, an empty box) when the font has none. A
// character here is printed, not replaced.
func PDFGlyphs(pdf []byte) (map[rune]bool, error) {
	out := map[rune]bool{}
	for _, m := range pdfCIDToGID.FindAllSubmatch(pdf, -1) {
		data, err := objectStream(pdf, string(m[1]))
		if err != nil {
			return nil, err
		}
		for cid := 0; cid+1 < len(data); cid += 2 {
			if data[cid] != 0 || data[cid+1] != 0 {
				out[rune(cid/2)] = true
			}
		}
	}
	return out, nil
}

// objectStream returns the (inflated) stream of object num.
func objectStream(pdf []byte, num string) ([]byte, error) {
	re := regexp.MustCompile(`(?s)(?:^|\n)` + num + ` 0 obj\s*<<(.*?)>>\s*stream\r?\n`)
	m := re.FindSubmatchIndex(pdf)
	if m == nil {
		return nil, fmt.Errorf("no stream object %s", num)
	}
	dict, start := string(pdf[m[2]:m[3]]), m[1]
	l := pdfLength.FindStringSubmatch(dict)
	if l == nil {
		return nil, fmt.Errorf("object %s: no /Length", num)
	}
	n, _ := strconv.Atoi(l[1])
	if start+n > len(pdf) {
		return nil, fmt.Errorf("object %s: /Length %d past the end", num, n)
	}
	data := pdf[start : start+n]
	if strings.Contains(dict, "/FlateDecode") {
		r, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("object %s: %w", num, err)
		}
		return io.ReadAll(r)
	}
	return data, nil
}

// textOf appends the literal strings of content's text objects; a string
// shown with one of unicode's fonts is UTF-16BE.
func textOf(content []byte, unicode map[string]bool, out *strings.Builder) {
	inText, wide := false, false
	for i := 0; i < len(content); i++ {
		switch {
		case content[i] == '/' && (i == 0 || isSpace(content[i-1])):
			if m := pdfTf.FindSubmatch(content[i:min(len(content), i+80)]); m != nil {
				wide = unicode[string(m[1])]
				i += len(m[0]) - 1
			}
		case inText && content[i] == '(' && wide:
			s, n := literal(content[i:])
			out.WriteString(utf16be(s))
			out.WriteByte('\n')
			i += n - 1
		case bytes.HasPrefix(content[i:], []byte("BT")) && (i == 0 || isSpace(content[i-1])):
			inText = true
			i++
		case bytes.HasPrefix(content[i:], []byte("ET")) && (i == 0 || isSpace(content[i-1])):
			inText = false
			i++
		case inText && content[i] == '(':
			s, n := literal(content[i:])
			out.WriteString(cp1252(s))
			out.WriteByte('\n')
			i += n - 1
		}
	}
}

func isSpace(b byte) bool { return b == ' ' || b == '\n' || b == '\r' || b == '\t' }

// literal reads a PDF literal string starting at s[0] == '(' and returns its
// bytes and how many bytes of s it took.
func literal(s []byte) ([]byte, int) {
	var b []byte
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			switch e := s[i]; e {
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case '\r', '\n':
			default:
				if e >= '0' && e <= '7' {
					v, j := 0, 0
					for ; j < 3 && i+j < len(s) && s[i+j] >= '0' && s[i+j] <= '7'; j++ {
						v = v*8 + int(s[i+j]-'0')
					}
					b = append(b, byte(v))
					i += j - 1
				} else {
					b = append(b, e)
				}
			}
		case c == '(':
			if depth > 0 {
				b = append(b, c)
			}
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return b, i + 1
			}
			b = append(b, c)
		default:
			b = append(b, c)
		}
	}
	return b, len(s)
}

// win1252 are Windows-1252's characters at 0x80-0x9F (the rest is Latin-1).
var win1252 = map[byte]rune{0x80: '€', 0x82: '‚', 0x83: 'ƒ', 0x84: '„', 0x85: '…', 0x86: '†', 0x87: '‡', 0x88: 'ˆ', 0x89: '‰',
	0x8A: 'Š', 0x8B: '‹', 0x8C: 'Œ', 0x8E: 'Ž', 0x91: '‘', 0x92: '’', 0x93: '“', 0x94: '”', 0x95: '•', 0x96: '–', 0x97: '—',
	0x98: '˜', 0x99: '™', 0x9A: 'š', 0x9B: '›', 0x9C: 'œ', 0x9E: 'ž', 0x9F: 'Ÿ'}

func utf16be(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
	}
	return string(utf16.Decode(u))
}

func cp1252(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if r, ok := win1252[c]; ok {
			s.WriteRune(r)
		} else {
			s.WriteRune(rune(c))
		}
	}
	return s.String()
}
