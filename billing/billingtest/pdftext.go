package billingtest

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

var (
	pdfStream = regexp.MustCompile(`(?s)<<(.*?)>>\s*stream\r?\n`)
	pdfLength = regexp.MustCompile(`/Length (\d+)\b`)
)

// PDFText reads a PDF back as text, so a test can assert what a person
// would read: every string shown between BT and ET of every page content
// stream (inflated when FlateDecode), one line per text operator, decoded
// from Windows-1252 (the core fonts' encoding). It is enough for the PDFs
// this project writes (core fonts, literal strings), not a general reader.
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
		textOf(data, &out)
	}
	return out.String(), nil
}

// textOf appends the literal strings of content's text objects.
func textOf(content []byte, out *strings.Builder) {
	inText := false
	for i := 0; i < len(content); i++ {
		switch {
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
