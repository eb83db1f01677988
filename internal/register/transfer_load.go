package register

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"sistercity/internal/db"
)

// Snapshot is the whole partner register as it is exported: the home city and its
// partnerships, each with its partner city, signatories, areas, status history and date
// claims. Documents are not part of it.
type Snapshot struct {
	Home         *City          // with texts and contacts; nil when the site has no home city yet
	Partnerships []*Partnership // with PartnerCity loaded, oldest first
}

// Load reads the register for export in a few queries. Use a transaction for a
// consistent picture.
func Load(ctx context.Context, q db.Querier) (*Snapshot, error) {
	st, err := loadState(ctx, q)
	if err != nil {
		return nil, err
	}
	reg := &Snapshot{}
	if st.homeID == 0 {
		return reg, nil
	}
	reg.Home = st.byID[st.homeID]
	for _, p := range st.list {
		p.HomeCity, p.PartnerCity = reg.Home, st.byID[p.PartnerCityID]
		if p.PartnerCity != nil {
			reg.Partnerships = append(reg.Partnerships, p)
		}
	}
	slices.SortStableFunc(reg.Partnerships, comparePartnerships)
	return reg, nil
}

// comparePartnerships orders by signing date (unknown last), type and partner, so that an
// export does not depend on database ids.
func comparePartnerships(a, b *Partnership) int {
	if a.SignedOn.IsZero() != b.SignedOn.IsZero() {
		if a.SignedOn.IsZero() {
			return 1
		}
		return -1
	}
	if c := cmp.Compare(a.SignedOn.String(), b.SignedOn.String()); c != 0 {
		return c
	}
	if c := cmp.Compare(slices.Index(PartnershipTypes, a.Type), slices.Index(PartnershipTypes, b.Type)); c != 0 {
		return c
	}
	if c := strings.Compare(a.PartnerCity.Name("en"), b.PartnerCity.Name("en")); c != 0 {
		return c
	}
	return strings.Compare(a.PartnerCity.Country, b.PartnerCity.Country)
}

type storedKey struct {
	partnerID int64
	typ       string
}

// registerState is the stored register an import is matched against.
type registerState struct {
	homeID       int64
	cities       []*City // every city, with texts and contacts
	byID         map[int64]*City
	list         []*Partnership // the home city's partnerships, with their children
	partnerships map[storedKey]*Partnership
}

func loadState(ctx context.Context, q db.Querier) (*registerState, error) {
	st := &registerState{byID: map[int64]*City{}, partnerships: map[storedKey]*Partnership{}}
	home, err := HomeCityID(ctx, q)
	switch {
	case errors.Is(err, ErrNoHomeCity):
	case err != nil:
		return nil, err
	default:
		st.homeID = home
	}
	if st.cities, err = Cities(ctx, q); err != nil {
		return nil, err
	}
	for _, c := range st.cities {
		st.byID[c.ID] = c
	}
	err = db.Each(ctx, q, `SELECT city_id, name, role, department, email, phone FROM city_contacts ORDER BY city_id, position`,
		nil, func(r *sql.Rows) error {
			var id int64
			var ct Contact
			if err := r.Scan(&id, &ct.Name, &ct.Role, &ct.Department, &ct.Email, &ct.Phone); err != nil {
				return err
			}
			if c := st.byID[id]; c != nil {
				c.Contacts = append(c.Contacts, ct)
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("register: load contacts: %w", err)
	}
	if st.homeID == 0 {
		return st, nil
	}
	if err := st.loadPartnerships(ctx, q); err != nil {
		return nil, fmt.Errorf("register: load partnerships: %w", err)
	}
	return st, nil
}

func (st *registerState) loadPartnerships(ctx context.Context, q db.Querier) error {
	byID := map[int64]*Partnership{}
	err := db.Each(ctx, q, "SELECT "+partnershipColumns+" FROM partnerships WHERE home_city_id = $1 ORDER BY id",
		[]any{st.homeID}, func(r *sql.Rows) error {
			p, err := scanPartnership(r)
			if err != nil {
				return err
			}
			st.list = append(st.list, p)
			byID[p.ID] = p
			st.partnerships[storedKey{p.PartnerCityID, p.Type}] = p
			return nil
		})
	if err != nil {
		return err
	}
	const mine = " WHERE partnership_id IN (SELECT id FROM partnerships WHERE home_city_id = $1) "
	args := []any{st.homeID}
	if err := loadPlaces(ctx, q, byID, mine, args...); err != nil {
		return err
	}
	if err := loadSignatories(ctx, q, byID, mine, args...); err != nil {
		return err
	}
	err = db.Each(ctx, q, "SELECT partnership_id, area FROM partnership_areas"+mine+"ORDER BY partnership_id, area",
		args, func(r *sql.Rows) error {
			var id int64
			var a string
			if err := r.Scan(&id, &a); err != nil {
				return err
			}
			byID[id].Areas = append(byID[id].Areas, a)
			return nil
		})
	if err != nil {
		return err
	}
	reasons, err := LoadReasons(ctx, q, "partnership_status_reasons",
		"WHERE history_id IN (SELECT id FROM partnership_status_history"+mine+")", args...)
	if err != nil {
		return err
	}
	err = db.Each(ctx, q, "SELECT id, partnership_id, status, changed_on, recorded_at FROM partnership_status_history"+mine+
		"ORDER BY partnership_id, changed_on, id", args, func(r *sql.Rows) error {
		var id, hid int64
		var h StatusChange
		if err := r.Scan(&hid, &id, &h.Status, &h.ChangedOn, &h.RecordedAt); err != nil {
			return err
		}
		h.Reason = reasons[hid]
		byID[id].History = append(byID[id].History, h)
		return nil
	})
	if err != nil {
		return err
	}
	return db.Each(ctx, q, "SELECT id, partnership_id, city_id, claimed_on, source FROM partnership_date_claims"+mine+
		"ORDER BY partnership_id, claimed_on, id", args, func(r *sql.Rows) error {
		var id int64
		var c DateClaim
		if err := r.Scan(&c.ID, &id, &c.CityID, &c.ClaimedOn, &c.Source); err != nil {
			return err
		}
		byID[id].DateClaims = append(byID[id].DateClaims, c)
		return nil
	})
}
