//go:build !unix || aix

package user

// socketPeek is not used where there is no MSG_DONTWAIT (Windows, AIX): a closed idle
// connection is found when the request written into it fails, as before.
type socketPeek struct{}

func (c *lazyConn) peerClosed() bool { return false }
