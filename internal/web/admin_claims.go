package web

import (
	"database/sql"
	"fmt"
	"net/http"

	"sistercity/internal/auth"
	"sistercity/internal/problem"
	"sistercity/internal/register"
)

const maxClaimSource = 300

// claimRecord is a date claim as the audit log keeps it: with its partnership.
type claimRecord struct {
	PartnershipID int64 `json:"partnership_id"`
	register.DateClaim
}

// claimSave records the date one of the two cities gives for the partnership, with its source;
// a second claim by the same city replaces the first.
func (s *Server) claimSave(w http.ResponseWriter, r *http.Request) {
	stored, ok := s.loadPartnership(w, r)
	if !ok {
		return
	}
	form := claimForm{City: formValue(r, "claim_city"), On: formValue(r, "claim_on"), Source: formValue(r, "claim_source")}
	var errs problem.Fields
	claim := register.DateClaim{Source: form.Source}
	switch form.City {
	case "home":
		claim.CityID = stored.HomeCityID
	case "partner":
		claim.CityID = stored.PartnerCityID
	default:
		errs.Add("claim_city", "validation.choice")
	}
	if form.On == "" {
		errs.Add("claim_on", "validation.required")
	}
	claim.ClaimedOn = parseDate(&errs, "claim_on", form.On)
	register.CheckRecordDate(&errs, "claim_on", claim.ClaimedOn, s.today())
	if form.Source == "" {
		errs.Add("claim_source", "validation.required")
	}
	register.CheckText(&errs, "claim_source", form.Source, maxClaimSource)
	if len(errs) > 0 {
		s.renderPartnership(w, r, http.StatusUnprocessableEntity, partnershipFormOf(stored),
			partnershipView{stored: stored, claim: form}, errs, "")
		return
	}
	ctx := r.Context()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var before any
		for _, c := range stored.DateClaims {
			if c.CityID == claim.CityID {
				before = claimRecord{stored.ID, c}
			}
		}
		if err := register.SetDateClaim(ctx, tx, stored.ID, claim); err != nil {
			return err
		}
		after, err := register.GetPartnership(ctx, tx, stored.ID)
		if err != nil {
			return err
		}
		for _, c := range after.DateClaims {
			if c.CityID == claim.CityID {
				claim = c
			}
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionSet, auth.EntityDateClaim, claim.ID, before, claimRecord{stored.ID, claim})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/partnerships/%d?notice=claim#claims", stored.ID), http.StatusSeeOther)
}

func (s *Server) claimDelete(w http.ResponseWriter, r *http.Request) {
	stored, ok := s.loadPartnership(w, r)
	if !ok {
		return
	}
	id, ok := pathID(r, "claim")
	if !ok {
		s.notFound(w, r)
		return
	}
	var before any
	for _, c := range stored.DateClaims {
		if c.ID == id {
			before = claimRecord{stored.ID, c}
		}
	}
	ctx := r.Context()
	err := s.change(r, auth.ActionDelete, auth.EntityDateClaim, func(tx *sql.Tx) (int64, any, any, error) {
		return id, before, nil, register.DeleteDateClaim(ctx, tx, stored.ID, id)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/partnerships/%d?notice=deleted#claims", stored.ID), http.StatusSeeOther)
}
