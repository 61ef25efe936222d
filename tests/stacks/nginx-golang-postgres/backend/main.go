package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
)

func main() {
	password, err := os.ReadFile("/run/secrets/db-password")
	if err != nil {
		log.Fatal(err)
	}
	dsn := fmt.Sprintf("postgres://postgres:%s@db:5432/example?sslmode=disable", strings.TrimSpace(string(password)))
	_ = dsn // the blog handler opens it
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	log.Fatal(http.ListenAndServe(":8000", nil))
}
