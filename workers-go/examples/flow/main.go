// Command flow is a worker whose users are written in Go against the user runtime, for the
// demo target (workers-go/cmd/target): each user logs in once (its own token and session
// cookie), then browses the items of its login or visits the home page, waiting 100-300 ms after
// each task. The target refuses any request with another login's token, cookie or item, so its
// /_refusals stays empty while users keep to themselves.
//
//	go run ./examples/flow --master-host=127.0.0.1 --master-port=5557 --target http://127.0.0.1:8080
//	go run ./examples/flow --target http://127.0.0.1:8080 --run-tasks browse,home   # one user, no master
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"locustfleet/worker/lifecycle"
	"locustfleet/worker/user"
)

func main() {
	lifecycle.ParseFlags()
	target := lifecycle.Target() // --target, or Locust's -H/--host or LOCUST_HOST
	if target == "" {
		target = "http://127.0.0.1:8080" // the demo target
	}
	os.Exit(lifecycle.RunUsers(class(target)))
}

func class(host string) *user.Class {
	return &user.Class{
		Host: host,
		// Users log in as user-<number>: numbers from the master keep names unique across workers.
		FleetNumbers: true,
		OnStart:      login,
		Tasks: []user.Task{
			{Name: "browse", Weight: 3, Fn: browse},
			{Name: "home", Weight: 1, Fn: func(u *user.User) { u.Session.Get("/") }},
		},
		Wait: user.Between(100*time.Millisecond, 300*time.Millisecond),
	}
}

// login posts the user's credentials and keeps the token; the session cookie the target sets
// stays in the user's jar and goes with its later requests.
func login(u *user.User) error {
	name := fmt.Sprintf("user-%d", u.Number)
	body, _ := json.Marshal(map[string]string{"user": name, "password": "pw-" + name})
	var token string
	resp := u.Session.Do(&user.Request{
		Method:  "POST",
		Path:    "/login",
		Headers: []user.Header{{Name: "Content-Type", Value: "application/json"}},
		Body:    body,
		Check: func(r *user.Response) string {
			var answer struct{ Token string }
			if json.Unmarshal(r.Body, &answer) != nil || answer.Token == "" {
				return "login: no token in the answer"
			}
			token = answer.Token
			return ""
		},
	})
	if !resp.OK() {
		return errors.New(resp.Failure)
	}
	u.Vars["token"] = token
	return nil
}

// browse lists the login's items, thinks, and opens the first one.
func browse(u *user.User) {
	auth := []user.Header{{Name: "Authorization", Value: "Bearer " + u.Vars["token"]}}
	var first string
	resp := u.Session.Do(&user.Request{Path: "/items", Headers: auth, Check: func(r *user.Response) string {
		var list struct{ Items []struct{ ID string } }
		if json.Unmarshal(r.Body, &list) != nil || len(list.Items) == 0 {
			return "items: no item in the answer"
		}
		first = list.Items[0].ID
		return ""
	}})
	if !resp.OK() || !u.Sleep(50*time.Millisecond) {
		return
	}
	u.Session.Do(&user.Request{Path: "/items/" + first, Name: "/items/{id}", Headers: auth})
}
