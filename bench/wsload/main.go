// wsload: WebSocket load for bench/websockets.py. Each of -c connections sends a -size byte
// text message to an echo endpoint and waits for it to come back, for -d seconds; prints one
// JSON line: messages echoed per second and the round trip's percentiles. A client of its own
// (the standard library has no WebSocket) so the load is the same for every server.
package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func dial(address, path string) (net.Conn, *bufio.Reader, error) {
	conn, err := net.Dial("tcp", address)
	if err != nil {
		return nil, nil, err
	}
	key := make([]byte, 16)
	rand.Read(key)
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", path, address, base64.StdEncoding.EncodeToString(key))
	reader := bufio.NewReaderSize(conn, 64*1024)
	response, err := http.ReadResponse(reader, nil)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	if response.StatusCode != 101 {
		conn.Close()
		return nil, nil, fmt.Errorf("handshake answered %d", response.StatusCode)
	}
	return conn, reader, nil
}

// frame is a masked text frame of size bytes (a zero mask key leaves the payload as is).
func frame(size int) []byte {
	header := []byte{0x81}
	switch {
	case size < 126:
		header = append(header, 0x80|byte(size))
	case size < 65536:
		header = append(header, 0x80|126, byte(size>>8), byte(size))
	default:
		panic("message too large for this client")
	}
	header = append(header, 0, 0, 0, 0)
	return append(header, []byte(strings.Repeat("x", size))...)
}

// readMessage reads one unmasked frame from the server and returns its payload length.
func readMessage(reader *bufio.Reader) (int, error) {
	var head [2]byte
	if _, err := io.ReadFull(reader, head[:]); err != nil {
		return 0, err
	}
	length := int(head[1] & 0x7f)
	if length == 126 {
		var ext [2]byte
		if _, err := io.ReadFull(reader, ext[:]); err != nil {
			return 0, err
		}
		length = int(ext[0])<<8 | int(ext[1])
	} else if length == 127 {
		return 0, fmt.Errorf("unexpected 64-bit length")
	}
	_, err := reader.Discard(length)
	return length, err
}

func main() {
	address := flag.String("addr", "127.0.0.1:8000", "host:port")
	path := flag.String("path", "/ws", "endpoint")
	connections := flag.Int("c", 64, "connections")
	duration := flag.Duration("d", 5*time.Second, "duration")
	size := flag.Int("size", 64, "message size in bytes")
	flag.Parse()

	message := frame(*size)
	var count int64
	var failures int64
	var latencyLock sync.Mutex
	var latencies []time.Duration
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < *connections; i++ {
		conn, reader, err := dial(*address, *path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "wsload:", err)
			os.Exit(1)
		}
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			defer conn.Close()
			local := make([]time.Duration, 0, 1<<16)
			ready.Done()
			<-start
			deadline := time.Now().Add(*duration)
			for {
				sent := time.Now()
				if !sent.Before(deadline) {
					break
				}
				if _, err := conn.Write(message); err != nil {
					atomic.AddInt64(&failures, 1)
					break
				}
				if _, err := readMessage(reader); err != nil {
					atomic.AddInt64(&failures, 1)
					break
				}
				local = append(local, time.Since(sent))
				atomic.AddInt64(&count, 1)
			}
			latencyLock.Lock()
			latencies = append(latencies, local...)
			latencyLock.Unlock()
		}()
	}
	ready.Wait()
	began := time.Now()
	close(start)
	done.Wait()
	elapsed := time.Since(began).Seconds()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	percentile := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"messages_per_second": float64(count) / elapsed, "messages": count, "failures": failures,
		"p50_ms": percentile(0.50), "p99_ms": percentile(0.99),
	})
}
