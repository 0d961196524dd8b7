package user

// ClearCookies empties the user's cookie jar, as a new visitor's browser starts with none: k6
// does it before every iteration, and a scenario whose tasks are new visitors
// (arrival.session: task) before every task.
func (s *Session) ClearCookies() {
	if s.jar != nil {
		s.jar = &jar{}
	}
}
