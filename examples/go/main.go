// Memory Mesh quick start in Go, with the standard library only (net/http, encoding/json).
//
// Registers an account (its own tenant), signs in, stores a short conversation under your
// own conversation id, then searches it and reads it back.
//
//	memory-mesh serve                 # in another terminal
//	cd examples/go && go run .        # MEMORY_MESH_URL=http://127.0.0.1:8000 by default
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

var baseURL = strings.TrimRight(envOr("MEMORY_MESH_URL", "http://127.0.0.1:8000"), "/")

var client = &http.Client{Timeout: 60 * time.Second}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

// apiError is the body of every 4xx/5xx answer.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// call sends one JSON request and decodes the answer into out (when not nil).
func call(method, path string, body any, token string, out any) error {
	var reader *bytes.Reader
	if body != nil {
		encoded, err := json.Marshal(body)
		if err != nil {
			return err
		}
		reader = bytes.NewReader(encoded)
	} else {
		reader = bytes.NewReader(nil)
	}
	request, err := http.NewRequest(method, baseURL+path, reader)
	if err != nil {
		return err
	}
	request.Header.Set("Content-Type", "application/json")
	if token != "" {
		request.Header.Set("Authorization", "Bearer "+token)
	}
	response, err := client.Do(request)
	if err != nil {
		return err
	}
	defer response.Body.Close()
	if response.StatusCode >= 400 {
		var problem apiError
		_ = json.NewDecoder(response.Body).Decode(&problem)
		return fmt.Errorf("%s %s: %d %s: %s", method, path, response.StatusCode, problem.Code, problem.Message)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(response.Body).Decode(out)
}

type message struct {
	ID                     string `json:"id"`
	ConversationID         string `json:"conversation_id"`
	ConversationExternalID string `json:"conversation_external_id"`
	Content                string `json:"content"`
}

type searchResults struct {
	Results []struct {
		Message message `json:"message"`
		Scores  struct {
			Score float64 `json:"score"`
		} `json:"scores"`
	} `json:"results"`
}

func run() error {
	random := make([]byte, 4)
	if _, err := rand.Read(random); err != nil {
		return err
	}
	suffix := hex.EncodeToString(random)
	tenant := "quickstart-go-" + suffix
	account := map[string]string{"email": "go-" + suffix + "@example.com", "password": "a long enough passphrase"}
	register := map[string]string{"email": account["email"], "password": account["password"], "tenant_id": tenant}
	if err := call("POST", "/v1/auth/register", register, "", nil); err != nil {
		return err
	}
	var login struct {
		AccessToken string `json:"access_token"`
	}
	if err := call("POST", "/v1/auth/login", account, "", &login); err != nil {
		return err
	}

	// your own conversation id: the first message creates the conversation
	conversation := "user-123"
	var stored message
	for _, turn := range [][2]string{
		{"user", "I need help with Python programming"},
		{"assistant", "Sure. What are you building?"},
		{"user", "A web scraper; I am allergic to regular expressions."},
	} {
		body := map[string]string{"tenant_id": tenant, "conversation_id": conversation, "role": turn[0], "content": turn[1]}
		if err := call("POST", "/v1/messages", body, login.AccessToken, &stored); err != nil {
			return err
		}
	}
	fmt.Printf("stored 3 messages in %s (server id %s)\n", stored.ConversationExternalID, stored.ConversationID)

	query := url.Values{"tenant_id": {tenant}, "query": {"Python"}, "conversation_id": {conversation}, "top_k": {"3"}}
	var found searchResults
	if err := call("GET", "/v1/memory/search?"+query.Encode(), nil, login.AccessToken, &found); err != nil {
		return err
	}
	top := found.Results[0]
	fmt.Printf("top hit: %s (score %.3f)\n", top.Message.Content, top.Scores.Score)

	var page struct {
		Items []message `json:"items"`
	}
	path := "/v1/conversations/" + conversation + "/messages?tenant_id=" + url.QueryEscape(tenant)
	if err := call("GET", path, nil, login.AccessToken, &page); err != nil {
		return err
	}
	fmt.Printf("conversation %s holds %d messages\n", conversation, len(page.Items))
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
