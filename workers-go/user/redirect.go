package user

import (
	"bytes"
	"fmt"

	"github.com/valyala/fasthttp"

	"locustfleet/worker/urlesc"
)

// isRedirect reports whether a status sends the client elsewhere (with a Location header).
func isRedirect(status int) bool {
	switch status {
	case fasthttp.StatusMovedPermanently, fasthttp.StatusFound, fasthttp.StatusSeeOther,
		fasthttp.StatusTemporaryRedirect, fasthttp.StatusPermanentRedirect:
		return true
	}
	return false
}

// follow turns req into the request for the redirect to location (absolute or relative to
// req's URL), as browsers and Python's requests do: 303 becomes GET (HEAD stays HEAD), 301 and
// 302 turn POST into GET, and those drop the body; 307 and 308 repeat the request as it was.
// Authorization, and a Host header set by the request, are not sent to another host. The
// location is escaped as a path typed in a scenario is (urlesc.Clean), and the dot segments of
// the path it gives are resolved (RFC 3986 5.2), which fasthttp leaves to its path normalizing,
// off here: "../b" from /a/c/d was sent as /a/c/../b.
func follow(req *fasthttp.Request, status int, location []byte) {
	oldHost := string(req.URI().Host())
	req.URI().Update(urlesc.Clean(string(location)))
	path := string(req.URI().PathOriginal())
	if resolved := urlesc.RemoveDotSegments(path); resolved != path { // it returns path as is when it holds no dot
		req.URI().SetPath(resolved)
	}
	if !bytes.EqualFold(req.URI().Host(), []byte(oldHost)) {
		req.Header.Del("Authorization")
		req.UseHostHeader = false
	}
	method := string(req.Header.Method())
	if (status == fasthttp.StatusSeeOther && method != fasthttp.MethodHead) ||
		((status == fasthttp.StatusMovedPermanently || status == fasthttp.StatusFound) && method == fasthttp.MethodPost) {
		req.Header.SetMethod(fasthttp.MethodGet)
		req.ResetBody()
		req.Header.Del("Content-Type")
		req.Header.SetContentLength(0) // the first send set it from the body
	}
}

// decode returns the body with its Content-Encoding (gzip, deflate, br) undone, so that checks
// and extraction see the text; failure is set when the body does not decode. An empty body is
// empty whatever its Content-Encoding: the answer to a HEAD, a 204 or a 304 names the encoding
// the resource has, without a body to decode (requests decodes nothing there either).
func decode(resp *fasthttp.Response) (body []byte, failure string) {
	encoding := resp.Header.ContentEncoding()
	if len(encoding) == 0 || string(encoding) == "identity" || len(resp.Body()) == 0 {
		return resp.Body(), ""
	}
	var err error
	if bytes.EqualFold(encoding, []byte("x-gzip")) { // the same as gzip (RFC 9110 8.4.1.3), as urllib3 takes it
		body, err = resp.BodyGunzip()
	} else {
		body, err = resp.BodyUncompressed()
	}
	if err != nil {
		return resp.Body(), fmt.Sprintf("cannot decode the body (Content-Encoding: %s)", encoding)
	}
	return body, ""
}
