package attacks

// Endpoint is a jwtd operation a token case is sent to.
type Endpoint string

// The endpoints that take a token (docs/http-api.md).
const (
	Verify         Endpoint = "verify"          // POST /api/token/verify/ {"token"}
	Refresh        Endpoint = "refresh"         // POST /api/token/refresh/ {"refresh"}
	Blacklist      Endpoint = "blacklist"       // POST /api/token/blacklist/ {"refresh"}
	SlidingRefresh Endpoint = "sliding-refresh" // POST /api/token/sliding/refresh/ {"token"}
	Authenticate   Endpoint = "authenticate"    // GET /api/authenticate/
	Stateless      Endpoint = "stateless"       // GET /api/authenticate/stateless/
)

// Layer is the check that must refuse a case. Simple JWT's endpoints do not
// all run every check (verify is untyped and never reads the user id), so a
// case is only an attack on the endpoints whose checks cover its layer;
// elsewhere a 200 is the compatible answer.
type Layer string

const (
	// LayerToken: signature, algorithm, encoding, structure, size, exp/nbf.
	// Every endpoint must refuse these.
	LayerToken Layer = "token"
	// LayerType: the token type claim is missing, wrong or mistyped. Every
	// endpoint but verify (Simple JWT's UntypedToken) must refuse these.
	LayerType Layer = "type"
	// LayerUserClaim: the user id claim is not a JSON string or integer that
	// fits an id. Endpoints that read it must refuse these (authenticate,
	// stateless, refresh, sliding refresh).
	LayerUserClaim Layer = "user-claim"
	// LayerUserLookup: the user id is a well-typed value naming no user.
	// Endpoints that look the user up must refuse these (authenticate,
	// refresh, sliding refresh); stateless echoes the id.
	LayerUserLookup Layer = "user-lookup"
	// LayerJTI: the jti claim is not a string. Endpoints that record or
	// consult the blacklist by jti must refuse these (refresh, blacklist,
	// sliding refresh).
	LayerJTI Layer = "jti"
)

var layerEndpoints = map[Layer][]Endpoint{
	LayerToken:      {Verify, Refresh, Blacklist, SlidingRefresh, Authenticate, Stateless},
	LayerType:       {Refresh, Blacklist, SlidingRefresh, Authenticate, Stateless},
	LayerUserClaim:  {Refresh, SlidingRefresh, Authenticate, Stateless},
	LayerUserLookup: {Refresh, SlidingRefresh, Authenticate},
	LayerJTI:        {Refresh, Blacklist, SlidingRefresh},
}

// MustReject reports whether e must refuse c (with a 4xx). Where it is
// false, Simple JWT answers 200 and so may jwtd; the store must still not
// be written beyond what that endpoint normally writes.
func (c Case) MustReject(e Endpoint) bool {
	for _, x := range layerEndpoints[c.Layer] {
		if x == e {
			return true
		}
	}
	return false
}
