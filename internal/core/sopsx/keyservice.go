package sopsx

import (
	"context"
	"fmt"
	"sync"

	"github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/keyservice"
)

// localKeys is the in-process key service every data key goes through: the sops local
// key service, with age recipients parsed once and kept (the stock one parses the
// recipient again for every data key it wraps). No remote key service is ever used.
var localKeys = keyservice.NewCustomLocalClient(&localServer{})

// keyServices is the list that sops functions taking key services receive.
var keyServices = []keyservice.KeyServiceClient{localKeys}

type localServer struct {
	keyservice.Server
	ageRecipients sync.Map // recipient string -> *age.MasterKey template
}

// Encrypt wraps a data key (or a Shamir share of it) for one master key.
func (s *localServer) Encrypt(ctx context.Context, req *keyservice.EncryptRequest) (*keyservice.EncryptResponse, error) {
	if k, ok := req.GetKey().GetKeyType().(*keyservice.Key_AgeKey); ok && k.AgeKey != nil {
		tmpl, err := s.ageTemplate(k.AgeKey.Recipient)
		if err != nil {
			return nil, err
		}
		key := *tmpl
		if err := key.Encrypt(req.Plaintext); err != nil {
			return nil, err
		}
		return &keyservice.EncryptResponse{Ciphertext: []byte(key.EncryptedKey)}, nil
	}
	return s.Server.Encrypt(ctx, req)
}

// Decrypt unwraps a data key with the keys the sops key sources find.
func (s *localServer) Decrypt(ctx context.Context, req *keyservice.DecryptRequest) (*keyservice.DecryptResponse, error) {
	return s.Server.Decrypt(ctx, req)
}

func (s *localServer) ageTemplate(recipient string) (*age.MasterKey, error) {
	if t, ok := s.ageRecipients.Load(recipient); ok {
		return t.(*age.MasterKey), nil
	}
	t, err := age.MasterKeyFromRecipient(recipient)
	if err != nil {
		return nil, fmt.Errorf("age recipient %q: %w", recipient, err)
	}
	s.ageRecipients.Store(recipient, t)
	return t, nil
}
