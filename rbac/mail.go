package rbac

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Mail is one plain-text e-mail.
type Mail struct {
	To      string
	Subject string
	Text    string
}

// Mailer sends mail on behalf of a tenant (uuid.Nil: the platform).
type Mailer interface {
	Send(ctx context.Context, tenantID uuid.UUID, m Mail) error
}

// Outbox is the Mailer used when no SMTP server is configured: mail is
// stored in PostgreSQL and super-admins read it in the console.
type Outbox struct {
	db *sqlx.DB
}

// NewOutbox returns an Outbox on db.
func NewOutbox(db *sqlx.DB) *Outbox { return &Outbox{db: db} }

// Send stores the mail.
func (o *Outbox) Send(ctx context.Context, tenantID uuid.UUID, m Mail) error {
	store := func(tx *tenant.Tx) error {
		var tid *uuid.UUID
		if tenantID != uuid.Nil {
			tid = &tenantID
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO outbox_emails (tenant_id, to_addr, subject, body_text) VALUES ($1, $2, $3, $4)`,
			tid, m.To, m.Subject, m.Text)
		return err
	}
	// The tenant's scope for its mail, the platform realm's for the
	// platform's: storing mail never needs the system path.
	if tenantID != uuid.Nil {
		return tenant.InTx(tenant.WithID(ctx, tenantID), o.db, store)
	}
	return tenant.PlatformTx(ctx, o.db, store)
}

// OutboxMail is a stored mail.
type OutboxMail struct {
	ID         int64     `db:"id" json:"id"`
	To         string    `db:"to_addr" json:"to"`
	Subject    string    `db:"subject" json:"subject"`
	Text       string    `db:"body_text" json:"text,omitempty"`
	TenantName *string   `db:"tenant_name" json:"tenant,omitempty"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

// SMTP sends mail through the server in a URL such as
// smtp://user:password@mail.example.com:587?from=noreply@example.com
// (STARTTLS when the server offers it; smtps:// for implicit TLS).
type SMTP struct {
	addr, host, from string
	auth             smtp.Auth
	implicitTLS      bool
}

// ParseSMTP reads an SMTP URL; the error never repeats the password.
func ParseSMTP(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, fmt.Errorf("expected smtp://user:password@host:port?from=address")
	}
	from := u.Query().Get("from")
	if !strings.Contains(from, "@") {
		return nil, fmt.Errorf("expected a from=address parameter")
	}
	s := &SMTP{addr: u.Host, host: u.Hostname(), from: from, implicitTLS: u.Scheme == "smtps"}
	if u.Port() == "" {
		port := "587"
		if s.implicitTLS {
			port = "465"
		}
		s.addr = net.JoinHostPort(u.Hostname(), port)
	}
	if u.User != nil {
		pw, _ := u.User.Password()
		s.auth = smtp.PlainAuth("", u.User.Username(), pw, u.Hostname())
	}
	return s, nil
}

// Send delivers the mail.
func (s *SMTP) Send(ctx context.Context, _ uuid.UUID, m Mail) error {
	d := net.Dialer{Timeout: 10 * time.Second}
	var conn net.Conn
	var err error
	if s.implicitTLS {
		conn, err = tls.DialWithDialer(&d, "tcp", s.addr, &tls.Config{ServerName: s.host})
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.addr)
	}
	if err != nil {
		return fmt.Errorf("smtp dial: %w", err)
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && !s.implicitTLS {
		if err := c.StartTLS(&tls.Config{ServerName: s.host}); err != nil {
			return fmt.Errorf("smtp starttls: %w", err)
		}
	}
	if s.auth != nil {
		if err := c.Auth(s.auth); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := c.Mail(s.from); err != nil {
		return fmt.Errorf("smtp from: %w", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return fmt.Errorf("smtp rcpt: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		s.from, m.To, m.Subject, time.Now().Format(time.RFC1123Z), strings.ReplaceAll(m.Text, "\n", "\r\n"))
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
