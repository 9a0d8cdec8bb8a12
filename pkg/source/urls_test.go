package source

import "testing"

func TestRedactURL(t *testing.T) {
	cases := []struct {
		raw, want string
		password  bool
	}{
		{"postgres://jml:s3cret@db:5432/jml?sslmode=require", "postgres://jml:***@db:5432/jml?sslmode=require", true},
		{"postgres://jml@db/jml?sslmode=require&password=s3cret", "postgres://jml@db/jml?sslmode=require&password=***", true},
		{"postgresql://db/jml?PassWord=s3cret&sslpassword=k3y&user=jml", "postgresql://db/jml?PassWord=***&sslpassword=***&user=jml", true},
		{"postgres://jml:s3cret@db/jml?password=s3cret2#frag", "postgres://jml:***@db/jml?password=***#frag", true},
		{"https://api.example.com/v1?access_token=abc&x=1", "https://api.example.com/v1?access_token=***&x=1", true},
		// URLs that do not parse are masked by their shape.
		{"postgres://jml:s3cret@db:port/jml?password=s3cret2", "postgres://jml:***@db:port/jml?password=***", true},
		{"postgres://jml:s3/cr@t@db/jml", "postgres://jml:***@db/jml", true},
		{"postgres://jml:s3cret@db/jml?password=%zz", "postgres://jml:***@db/jml?password=***", true},
		// Nothing to hide.
		{"postgres://jml@db/jml?sslmode=disable", "postgres://jml@db/jml?sslmode=disable", false},
		{"postgres://jml:@db/jml", "postgres://jml:***@db/jml", false},
		{"postgres://db/jml?password=", "postgres://db/jml?password=", false},
		{"sqlite://.jml/history.db", "sqlite://.jml/history.db", false},
		{"https://x.okta.com", "https://x.okta.com", false},
		{"", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			if got := RedactURL(tc.raw); got != tc.want {
				t.Errorf("RedactURL = %q, want %q", got, tc.want)
			}
			if got := URLPassword(tc.raw); got != tc.password {
				t.Errorf("URLPassword = %v, want %v", got, tc.password)
			}
		})
	}
}
