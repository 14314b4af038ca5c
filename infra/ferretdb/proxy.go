package main

import (
	"encoding/binary"
	"errors"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"time"
)

const (
	opMsg         = 2013
	flagMoreToCom = 1 << 1
	maxFrame      = 48 * 1024 * 1024
)

// writeTurn lets one document-writing command run inside FerretDB at a time.
// There is no time limit on the wait: a write that never gets its turn is a
// bug to find, not a reason to give up atomicity.
var writeTurn = make(chan struct{}, 1)

const slowTurn = 10 * time.Second

func takeTurn() {
	select {
	case writeTurn <- struct{}{}:
		return
	default:
	}
	start := time.Now()
	timer := time.NewTimer(slowTurn)
	defer timer.Stop()
	select {
	case writeTurn <- struct{}{}:
		return
	case <-timer.C:
		log.Printf("a write has waited %s for its turn; still waiting", slowTurn)
	}
	writeTurn <- struct{}{}
	log.Printf("the slow write got its turn after %s", time.Since(start).Round(time.Millisecond))
}

func giveTurn() { <-writeTurn }

// writeCommands are the commands that read a document and write it back, and
// those that change collections and indexes: FerretDB deadlocks when a new
// database gets its collections and indexes from several connections at once.
var writeCommands = map[string]bool{
	"insert": true, "update": true, "delete": true, "findandmodify": true,
	"create": true, "createindexes": true, "drop": true, "dropdatabase": true,
	"dropindexes": true, "renamecollection": true, "collmod": true,
}

func serve(ln net.Listener, upstreamSocket string) {
	for {
		client, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			log.Printf("accept: %v", err)
			continue
		}
		go relay(client, upstreamSocket)
	}
}

// relay forwards frames both ways. A write command takes the lock before it is
// forwarded and gives it back when its reply comes through.
func relay(client net.Conn, upstreamSocket string) {
	defer client.Close()
	upstream, err := net.Dial("unix", upstreamSocket)
	if err != nil {
		log.Printf("upstream: %v", err)
		return
	}
	defer upstream.Close()

	var mu sync.Mutex
	waiting := map[int32]bool{} // request ids of writes holding the turn
	release := func(id int32) {
		mu.Lock()
		defer mu.Unlock()
		if waiting[id] {
			delete(waiting, id)
			giveTurn()
		}
	}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for id := range waiting {
			delete(waiting, id)
			giveTurn()
		}
	}()

	go func() {
		defer upstream.Close()
		for {
			frame, err := readFrame(client)
			if err != nil {
				return
			}
			requestID := int32(binary.LittleEndian.Uint32(frame[4:8]))
			isWrite, noReply := inspect(frame)
			if isWrite {
				takeTurn()
			}
			if isWrite && !noReply {
				mu.Lock()
				waiting[requestID] = true
				mu.Unlock()
			}
			_, err = upstream.Write(frame)
			if isWrite && noReply {
				giveTurn()
			}
			if err != nil {
				release(requestID)
				return
			}
		}
	}()

	for {
		frame, err := readFrame(upstream)
		if err != nil {
			return
		}
		release(int32(binary.LittleEndian.Uint32(frame[8:12])))
		if _, err := client.Write(frame); err != nil {
			return
		}
	}
}

func readFrame(r io.Reader) ([]byte, error) {
	var header [4]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}
	length := int(binary.LittleEndian.Uint32(header[:]))
	if length < 16 || length > maxFrame {
		return nil, errors.New("bad frame length")
	}
	frame := make([]byte, length)
	copy(frame, header[:])
	_, err := io.ReadFull(r, frame[4:])
	return frame, err
}

// inspect tells whether an OP_MSG frame carries a document-writing command and
// whether the client expects no reply (moreToCome).
func inspect(frame []byte) (isWrite bool, noReply bool) {
	if len(frame) < 21 || binary.LittleEndian.Uint32(frame[12:16]) != opMsg {
		return false, false
	}
	flags := binary.LittleEndian.Uint32(frame[16:20])
	noReply = flags&flagMoreToCom != 0
	body := frame[20:]
	for len(body) > 0 {
		kind := body[0]
		body = body[1:]
		switch kind {
		case 0: // the command document: its first key is the command name
			return writeCommands[strings.ToLower(firstKey(body))], noReply
		case 1: // a document sequence: skip it
			if len(body) < 4 {
				return false, noReply
			}
			size := int(binary.LittleEndian.Uint32(body[:4]))
			if size > len(body) {
				return false, noReply
			}
			body = body[size:]
		default:
			return false, noReply
		}
	}
	return false, noReply
}

func firstKey(doc []byte) string {
	if len(doc) < 6 {
		return ""
	}
	name := doc[5:] // int32 size, one type byte, then the key as a C string
	for i, b := range name {
		if b == 0 {
			return string(name[:i])
		}
	}
	return ""
}
