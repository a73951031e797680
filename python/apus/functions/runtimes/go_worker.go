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
	"strings"
	"sync"
	"unicode/utf8"
)

var envelopeKeys = []string{"status", "statusCode", "headers", "body", "is_base64", "isBase64Encoded", "body_base64"}

var writing sync.Mutex

func send(out *bufio.Writer, message map[string]interface{}) {
	payload, err := json.Marshal(message)
	if err != nil {
		payload, _ = json.Marshal(map[string]interface{}{"id": message["id"], "error": "the response is not JSON: " + err.Error()})
	}
	var header [4]byte
	binary.BigEndian.PutUint32(header[:], uint32(len(payload)))
	writing.Lock()
	defer writing.Unlock()
	out.Write(header[:])
	out.Write(payload)
	out.Flush()
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
	// As FastFN: route parameters also as top-level keys of the event.
	if params, ok := event["params"].(map[string]interface{}); ok {
		for name, value := range params {
			if _, taken := event[name]; !taken {
				event[name] = value
			}
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
	send(replies, map[string]interface{}{"ready": true})
	for {
		var header [4]byte
		if _, err := io.ReadFull(requests, header[:]); err != nil {
			return // the server closed the request pipe: this worker is retired
		}
		frame := make([]byte, binary.BigEndian.Uint32(header[:]))
		if _, err := io.ReadFull(requests, frame); err != nil {
			return
		}
		var request struct {
			ID    interface{}            `json:"id"`
			Event map[string]interface{} `json:"event"`
		}
		if err := json.Unmarshal(frame, &request); err != nil {
			send(replies, map[string]interface{}{"id": nil, "error": "an unreadable request: " + err.Error()})
			continue
		}
		go func() { send(replies, answer(request.ID, request.Event)) }()
	}
}
