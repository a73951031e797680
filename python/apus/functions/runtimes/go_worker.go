// A Go worker of the Apus functions server, built with one function's file into one binary:
// it answers request frames (4-byte big-endian length + JSON) from descriptor 3 with reply
// frames on descriptor 4, each request on a goroutine of its own (several in flight at once).
// stdout and stderr are the function's own, logged by the server. The function is
// `func handler(event map[string]interface{}) interface{}`.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"unicode/utf8"
)

var envelopeKeys = []string{"status", "statusCode", "headers", "body", "is_base64", "isBase64Encoded", "body_base64"}

// Replies go to one writer goroutine, which flushes when no other reply is waiting: the
// replies of a burst leave in one write (one wake-up of the server), and a slow handler never
// holds back the others.
var outgoing = make(chan []byte, 256)

func send(message map[string]interface{}) {
	payload, err := encodeReply(message)
	if err != nil {
		payload, _ = json.Marshal(map[string]interface{}{"id": message["id"], "error": "the response is not JSON: " + err.Error()})
	}
	frame := make([]byte, 4+len(payload))
	binary.BigEndian.PutUint32(frame[:4], uint32(len(payload)))
	copy(frame[4:], payload)
	outgoing <- frame
}

func writeReplies(out *bufio.Writer) {
	for frame := range outgoing {
		out.Write(frame)
		if len(outgoing) == 0 {
			out.Flush()
		}
	}
}

func looksLikeHTML(text string) bool {
	head := strings.ToLower(strings.TrimLeft(text, " \t\r\n"))
	if len(head) > 64 {
		head = head[:64]
	}
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html") ||
		strings.Contains(text, "<body") || strings.Contains(text, "</html>")
}

func textReply(text string) map[string]interface{} {
	kind := "text/plain; charset=utf-8"
	if looksLikeHTML(text) {
		kind = "text/html; charset=utf-8"
	}
	return map[string]interface{}{"status": 200, "headers": map[string]interface{}{"content-type": kind}, "body": text}
}

// normalize turns what a handler returned into a reply, as FastFN answers it.
func normalize(result interface{}) (map[string]interface{}, error) {
	switch value := result.(type) {
	case nil:
		return map[string]interface{}{"status": 200, "body": ""}, nil
	case string:
		return textReply(value), nil
	case []byte:
		return map[string]interface{}{"status": 200, "headers": map[string]interface{}{"content-type": "application/octet-stream"},
			"body": base64.StdEncoding.EncodeToString(value), "is_base64": true}, nil
	}
	envelope, isMap := result.(map[string]interface{})
	if isMap {
		isEnvelope := false
		for _, key := range envelopeKeys {
			if _, ok := envelope[key]; ok {
				isEnvelope = true
			}
		}
		if isEnvelope {
			return fromEnvelope(envelope)
		}
	}
	body, err := json.Marshal(result)
	if err != nil {
		return nil, err
	}
	return map[string]interface{}{"status": 200, "headers": map[string]interface{}{"content-type": "application/json"}, "body": string(body)}, nil
}

func fromEnvelope(envelope map[string]interface{}) (map[string]interface{}, error) {
	status, ok := envelope["status"]
	if !ok {
		status, ok = envelope["statusCode"]
	}
	if !ok {
		status = 200
	}
	headers := map[string]interface{}{}
	if given, ok := envelope["headers"].(map[string]interface{}); ok {
		for name, value := range given {
			headers[strings.ToLower(name)] = value
		}
	} else if given, ok := envelope["headers"].(map[string]string); ok {
		for name, value := range given {
			headers[strings.ToLower(name)] = value
		}
	}
	reply := map[string]interface{}{"status": status, "headers": headers}
	if isBase64, _ := envelope["is_base64"].(bool); isBase64 {
		reply["body"], reply["is_base64"] = envelope["body_base64"], true
		return reply, nil
	}
	if isBase64, _ := envelope["isBase64Encoded"].(bool); isBase64 {
		reply["body"], reply["is_base64"] = envelope["body"], true
		return reply, nil
	}
	switch body := envelope["body"].(type) {
	case nil:
		reply["body"] = ""
	case string:
		reply["body"] = body
	case []byte:
		if utf8.Valid(body) {
			reply["body"] = string(body)
		} else {
			reply["body"], reply["is_base64"] = base64.StdEncoding.EncodeToString(body), true
		}
	default:
		encoded, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		if _, ok := headers["content-type"]; !ok {
			headers["content-type"] = "application/json"
		}
		reply["body"] = string(encoded)
	}
	return reply, nil
}

func answer(id interface{}, event map[string]interface{}) (reply map[string]interface{}) {
	defer func() {
		if failure := recover(); failure != nil {
			reply = map[string]interface{}{"id": id, "error": fmt.Sprintf("panic: %v\n%s", failure, debug.Stack())}
		}
	}()
	// As FastFN: route parameters also as top-level keys of the event, over the event's own
	// (`[id]` is event["id"], `[...path]` is event["path"]).
	if params, ok := event["params"].(map[string]interface{}); ok {
		for name, value := range params {
			event[name] = value
		}
	}
	normalized, err := normalize(handler(event))
	if err != nil {
		return map[string]interface{}{"id": id, "error": err.Error()}
	}
	normalized["id"] = id
	return normalized
}

func connection(descriptor uintptr, name string) io.ReadWriter {
	file := os.NewFile(descriptor, name)
	if conn, err := net.FileConn(file); err == nil {
		return conn
	}
	return file
}

func main() {
	// The descriptors are socket pairs: as net.Conns they wait in Go's poller, not in a
	// blocked thread.
	requests := bufio.NewReader(connection(3, "requests"))
	replies := bufio.NewWriter(connection(4, "replies"))
	go writeReplies(replies)
	send(map[string]interface{}{"ready": true})
	for {
		var header [4]byte
		if _, err := io.ReadFull(requests, header[:]); err != nil {
			return // the server closed the request pipe: this worker is retired
		}
		frame := make([]byte, binary.BigEndian.Uint32(header[:]))
		if _, err := io.ReadFull(requests, frame); err != nil {
			return
		}
		parsed, err := decodeJSON(frame)
		request, isObject := parsed.(map[string]interface{})
		event, hasEvent := request["event"].(map[string]interface{})
		if err != nil || !isObject || !hasEvent {
			send(map[string]interface{}{"id": request["id"], "error": fmt.Sprintf("an unreadable request: %v", err)})
			continue
		}
		dispatch(job{id: request["id"], event: event})
	}
}

type job struct {
	id    interface{}
	event map[string]interface{}
}

// Idle runners wait here for their next request. A runner lives on after its request: a new
// goroutine per request would grow its small stack again, by copying, on every call.
var jobs = make(chan job)

// dispatch hands a request to an idle runner, or starts one when all are busy: a slow
// handler never holds back the others, and there are never more runners than requests the
// server had in flight at once.
func dispatch(next job) {
	select {
	case jobs <- next:
	default:
		go run(next)
	}
}

func run(next job) {
	for {
		send(answer(next.id, next.event))
		next = <-jobs
	}
}

// decodeJSON reads a request frame into the values encoding/json would give (maps, slices,
// float64, string, bool, nil), in one pass with no reflection: the event is decoded on every
// request, and encoding/json's generic decoding costs several times more.
func decodeJSON(data []byte) (interface{}, error) {
	reader := jsonReader{data: data}
	value, err := reader.value(0)
	if err != nil {
		return nil, err
	}
	reader.space()
	if reader.at != len(data) {
		return nil, fmt.Errorf("text after the JSON value at byte %d", reader.at)
	}
	return value, nil
}

type jsonReader struct {
	data []byte
	at   int
}

func (r *jsonReader) space() {
	for r.at < len(r.data) && (r.data[r.at] == ' ' || r.data[r.at] == '\n' || r.data[r.at] == '\r' || r.data[r.at] == '\t') {
		r.at++
	}
}

func (r *jsonReader) fail(what string) error { return fmt.Errorf("%s at byte %d", what, r.at) }

func (r *jsonReader) value(depth int) (interface{}, error) {
	if depth > 64 {
		return nil, r.fail("JSON nested too deep")
	}
	r.space()
	if r.at >= len(r.data) {
		return nil, r.fail("the end of the JSON")
	}
	switch r.data[r.at] {
	case '{':
		r.at++
		// The event (depth 1) has a dozen keys and more: made big enough at once, not grown.
		capacity := 0
		if depth == 1 {
			capacity = 24
		}
		object := make(map[string]interface{}, capacity)
		r.space()
		if r.at < len(r.data) && r.data[r.at] == '}' {
			r.at++
			return object, nil
		}
		for {
			r.space()
			key, err := r.str()
			if err != nil {
				return nil, err
			}
			r.space()
			if r.at >= len(r.data) || r.data[r.at] != ':' {
				return nil, r.fail("no ':'")
			}
			r.at++
			item, err := r.value(depth + 1)
			if err != nil {
				return nil, err
			}
			object[key] = item
			r.space()
			if r.at >= len(r.data) {
				return nil, r.fail("an unterminated object")
			}
			if r.data[r.at] == '}' {
				r.at++
				return object, nil
			}
			if r.data[r.at] != ',' {
				return nil, r.fail("no ',' or '}'")
			}
			r.at++
		}
	case '[':
		r.at++
		array := []interface{}{}
		r.space()
		if r.at < len(r.data) && r.data[r.at] == ']' {
			r.at++
			return array, nil
		}
		for {
			item, err := r.value(depth + 1)
			if err != nil {
				return nil, err
			}
			array = append(array, item)
			r.space()
			if r.at >= len(r.data) {
				return nil, r.fail("an unterminated array")
			}
			if r.data[r.at] == ']' {
				r.at++
				return array, nil
			}
			if r.data[r.at] != ',' {
				return nil, r.fail("no ',' or ']'")
			}
			r.at++
		}
	case '"':
		return r.str()
	case 't':
		return true, r.word("true")
	case 'f':
		return false, r.word("false")
	case 'n':
		return nil, r.word("null")
	}
	start := r.at
	for r.at < len(r.data) && strings.IndexByte("+-0123456789.eE", r.data[r.at]) >= 0 {
		r.at++
	}
	number, err := strconv.ParseFloat(string(r.data[start:r.at]), 64)
	if err != nil || r.at == start {
		return nil, r.fail("not a JSON value")
	}
	return number, nil
}

func (r *jsonReader) word(text string) error {
	if !strings.HasPrefix(string(r.data[r.at:min(len(r.data), r.at+len(text))]), text) {
		return r.fail("not a JSON value")
	}
	r.at += len(text)
	return nil
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func (r *jsonReader) str() (string, error) {
	if r.at >= len(r.data) || r.data[r.at] != '"' {
		return "", r.fail("no string")
	}
	r.at++
	start := r.at
	for r.at < len(r.data) && r.data[r.at] != '"' && r.data[r.at] != '\\' {
		r.at++
	}
	if r.at < len(r.data) && r.data[r.at] == '"' {
		r.at++
		return string(r.data[start : r.at-1]), nil
	}
	// Escapes: let the standard library decode this one string.
	r.at = start - 1
	end := start
	for end < len(r.data) {
		if r.data[end] == '\\' {
			end += 2
			continue
		}
		if r.data[end] == '"' {
			break
		}
		end++
	}
	if end >= len(r.data) {
		return "", r.fail("an unterminated string")
	}
	var text string
	if err := json.Unmarshal(r.data[r.at:end+1], &text); err != nil {
		return "", r.fail("a bad string")
	}
	r.at = end + 1
	return text, nil
}

// encodeReply writes the reply's known shape (id, status, headers, body, is_base64, error)
// without reflection; anything else goes through encoding/json.
func encodeReply(message map[string]interface{}) ([]byte, error) {
	out := make([]byte, 0, 256)
	out = append(out, '{')
	first := true
	for key, value := range message {
		if !first {
			out = append(out, ',')
		}
		first = false
		out = appendString(out, key)
		out = append(out, ':')
		switch typed := value.(type) {
		case string:
			out = appendString(out, typed)
		case map[string]interface{}:
			out = append(out, '{')
			inner := true
			for name, item := range typed {
				if !inner {
					out = append(out, ',')
				}
				inner = false
				out = appendString(out, name)
				out = append(out, ':')
				if text, ok := item.(string); ok {
					out = appendString(out, text)
				} else if encoded, err := json.Marshal(item); err == nil {
					out = append(out, encoded...)
				} else {
					return nil, err
				}
			}
			out = append(out, '}')
		default:
			encoded, err := json.Marshal(typed)
			if err != nil {
				return nil, err
			}
			out = append(out, encoded...)
		}
	}
	return append(out, '}'), nil
}

func appendString(out []byte, text string) []byte {
	const hex = "0123456789abcdef"
	start := len(out)
	out = append(out, '"')
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case c == '\n':
			out = append(out, '\\', 'n')
		case c == '\r':
			out = append(out, '\\', 'r')
		case c == '\t':
			out = append(out, '\\', 't')
		case c < 0x20:
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		default:
			out = append(out, c)
		}
	}
	if !utf8.ValidString(text) {
		// JSON is UTF-8: let the standard library replace what is not.
		encoded, _ := json.Marshal(text)
		return append(out[:start], encoded...)
	}
	return append(out, '"')
}
