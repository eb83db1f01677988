package web

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/exchange"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
)

// checklistForm holds a checklist item form as typed.
type checklistForm struct {
	ID           int64
	Version      int64
	Item         string
	Label        string
	AssigneeUser string
	AssigneeName string
	DueOn        string
	Done         bool
}

func checklistFormOf(c *exchange.ChecklistItem) checklistForm {
	f := checklistForm{ID: c.ID, Version: c.Version, Item: c.Item, Label: c.Label, AssigneeName: c.AssigneeName,
		DueOn: c.DueOn.String(), Done: c.Done}
	if c.AssigneeUserID != 0 {
		f.AssigneeUser = strconv.FormatInt(c.AssigneeUserID, 10)
	}
	return f
}

func checklistFormFrom(r *http.Request) checklistForm {
	return checklistForm{Item: formValue(r, "item"), Label: formValue(r, "label"), AssigneeUser: formValue(r, "assignee_user"),
		AssigneeName: formValue(r, "assignee_name"), DueOn: formValue(r, "due_on"), Done: formValue(r, "done") == "1"}
}

// item turns the form into a checklist item; users are the accounts one may assign.
func (f *checklistForm) item(activityID int64, users map[int64]bool) (*exchange.ChecklistItem, problem.Fields) {
	var errs problem.Fields
	c := &exchange.ChecklistItem{ID: f.ID, ActivityID: activityID, Version: f.Version, Item: f.Item, Label: f.Label,
		AssigneeName: f.AssigneeName, Done: f.Done}
	c.AssigneeUserID = parseChoice(&errs, "assignee_user", f.AssigneeUser, func(id int64) bool { return users[id] })
	c.DueOn = parseDate(&errs, "due_on", f.DueOn)
	for _, e := range c.Validate() {
		if !errs.Has(e.Field) {
			errs = append(errs, e)
		}
	}
	return c, errs
}

// assignees lists the accounts a checklist item may be given to, and their names by id.
func (s *Server) assignees(ctx context.Context, l *i18n.Localizer) ([]option, map[int64]string, error) {
	users, err := auth.Users(ctx, s.db.R)
	if err != nil {
		return nil, nil, err
	}
	var opts []option
	names := map[int64]string{}
	for _, u := range users {
		names[u.ID] = u.Name()
		if !u.Disabled {
			opts = append(opts, option{strconv.FormatInt(u.ID, 10), u.Name()})
		}
	}
	sortOptions(l, opts)
	return opts, names, nil
}

// itemName names a checklist item: its kind, and its label when it has one.
func itemName(l *i18n.Localizer, c *exchange.ChecklistItem) string {
	if c.Item == exchange.ItemCustom {
		return c.Label
	}
	name := l.T("exchange.item." + c.Item)
	if c.Label != "" {
		name += ": " + c.Label
	}
	return name
}

// fillChecklist adds the checklist and its choices to the activity page.
func (s *Server) fillChecklist(ctx context.Context, l *i18n.Localizer, today civil.Date, activityID int64, data *activityPageData) error {
	items, err := exchange.Checklist(ctx, s.db.R, activityID)
	if err != nil {
		return err
	}
	opts, names, err := s.assignees(ctx, l)
	if err != nil {
		return err
	}
	data.Users = opts
	for _, k := range exchange.ItemKinds {
		data.ItemKinds = append(data.ItemKinds, option{k, l.T("exchange.item." + k)})
	}
	for _, c := range items {
		row := checklistRow{ChecklistItem: c, Name: itemName(l, c), Assignee: c.AssigneeName,
			Overdue: !c.Done && !c.DueOn.IsZero() && c.DueOn.Before(today)}
		if c.AssigneeUserID != 0 {
			row.Assignee = names[c.AssigneeUserID]
		}
		data.Checklist = append(data.Checklist, row)
	}
	if data.Item.Item == "" {
		data.Item.Item = exchange.ItemCustom
	}
	return nil
}

func (s *Server) userIDs(ctx context.Context) (map[int64]bool, error) {
	users, err := auth.Users(ctx, s.db.R)
	if err != nil {
		return nil, err
	}
	ids := map[int64]bool{}
	for _, u := range users {
		if !u.Disabled {
			ids[u.ID] = true
		}
	}
	return ids, nil
}

func (s *Server) checklistAdd(w http.ResponseWriter, r *http.Request) {
	stored, ok := s.loadActivity(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	f := checklistFormFrom(r)
	users, err := s.userIDs(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, errs := f.item(stored.ID, users)
	if len(errs) > 0 {
		// The add form's fields carry an item_ prefix on the page, apart from the main form's.
		for i := range errs {
			errs[i].Field = "item_" + errs[i].Field
		}
		s.renderActivity(w, r, http.StatusUnprocessableEntity, activityFormOf(stored), activityView{stored: stored, item: f}, errs, "")
		return
	}
	err = s.change(r, auth.ActionCreate, auth.EntityChecklistItem, func(tx *sql.Tx) (int64, any, any, error) {
		err := exchange.AddItem(ctx, tx, c)
		return c.ID, nil, c, err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/activities/%d?notice=checklist#checklist", stored.ID), http.StatusSeeOther)
}

// checklistStandard adds the standard delegation items the checklist lacks.
func (s *Server) checklistStandard(w http.ResponseWriter, r *http.Request) {
	stored, ok := s.loadActivity(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		added, err := exchange.AddStandardItems(ctx, tx, stored.ID)
		if err != nil || len(added) == 0 {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionCreate, auth.EntityChecklistItem, stored.ID, nil, added)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/activities/%d?notice=standard#checklist", stored.ID), http.StatusSeeOther)
}

// loadItem reads the activity and checklist item of the request, or renders why it cannot.
func (s *Server) loadItem(w http.ResponseWriter, r *http.Request) (*exchange.Activity, *exchange.ChecklistItem, bool) {
	a, ok := s.loadActivity(w, r)
	if !ok {
		return nil, nil, false
	}
	id, ok := pathID(r, "item")
	if !ok {
		s.notFound(w, r)
		return nil, nil, false
	}
	c, err := exchange.GetItem(r.Context(), s.db.R, a.ID, id)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	return a, c, true
}

type checklistPageData struct {
	Form          checklistForm
	ActivityID    int64
	ActivityTitle string
	TitleLang     string
	CanEdit       bool
	Problem       string
	ItemKinds     []option
	Users         []option
}

func (s *Server) renderChecklistItem(w http.ResponseWriter, r *http.Request, status int, a *exchange.Activity, f checklistForm,
	errs problem.Fields, problemKey string) {
	p := s.adminPage(w, r, "")
	p.Errors = errs
	l := p.L
	data := checklistPageData{Form: f, ActivityID: a.ID, ActivityTitle: a.Title(l.Lang), TitleLang: a.TitleLang(l.Lang), CanEdit: canEdit(r)}
	if problemKey != "" {
		data.Problem = l.T(problemKey)
	}
	p.Title = l.T("admin.checklist.edit_title", "activity", data.ActivityTitle)
	for _, k := range exchange.ItemKinds {
		data.ItemKinds = append(data.ItemKinds, option{k, l.T("exchange.item." + k)})
	}
	opts, _, err := s.assignees(r.Context(), l)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data.Users = opts
	if f.AssigneeUser != "" && !slices.ContainsFunc(opts, func(o option) bool { return o.Value == f.AssigneeUser }) {
		// A disabled account stays visible on an item it was given.
		data.Users = append(data.Users, option{f.AssigneeUser, f.AssigneeUser})
	}
	p.Data = data
	s.render(w, r, status, "admin/checklist-item", p)
}

func (s *Server) checklistEdit(w http.ResponseWriter, r *http.Request) {
	a, c, ok := s.loadItem(w, r)
	if !ok {
		return
	}
	s.renderChecklistItem(w, r, http.StatusOK, a, checklistFormOf(c), nil, "")
}

func (s *Server) checklistUpdate(w http.ResponseWriter, r *http.Request) {
	a, stored, ok := s.loadItem(w, r)
	if !ok {
		return
	}
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	f := checklistFormFrom(r)
	f.ID, f.Version = stored.ID, version
	users, err := s.userIDs(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if stored.AssigneeUserID != 0 {
		users[stored.AssigneeUserID] = true // kept even when the account was disabled since
	}
	c, errs := f.item(a.ID, users)
	if len(errs) > 0 {
		s.renderChecklistItem(w, r, http.StatusUnprocessableEntity, a, f, errs, "")
		return
	}
	err = s.change(r, auth.ActionUpdate, auth.EntityChecklistItem, func(tx *sql.Tx) (int64, any, any, error) {
		err := exchange.UpdateItem(ctx, tx, c)
		return c.ID, stored, c, err
	})
	switch {
	case isStale(err):
		s.renderChecklistItem(w, r, http.StatusConflict, a, f, nil, "error.conflict")
	case err != nil:
		s.fail(w, r, err)
	default:
		http.Redirect(w, r, fmt.Sprintf("/admin/activities/%d?notice=checklist#checklist", a.ID), http.StatusSeeOther)
	}
}

// checklistDone marks an item done or not done, as the button says: the form names the state
// it wants, so sending it twice changes nothing more.
func (s *Server) checklistDone(w http.ResponseWriter, r *http.Request) {
	a, stored, ok := s.loadItem(w, r)
	if !ok {
		return
	}
	want := formValue(r, "done")
	if want != "1" && want != "0" {
		s.fail(w, r, badRequest())
		return
	}
	ctx := r.Context()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		c, err := exchange.GetItem(ctx, tx, a.ID, stored.ID)
		if err != nil {
			return err
		}
		before := *c
		c.Done = want == "1"
		if c.Done == before.Done {
			return nil
		}
		if err := exchange.UpdateItem(ctx, tx, c); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionUpdate, auth.EntityChecklistItem, c.ID, before, c)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/activities/%d?notice=checklist#checklist", a.ID), http.StatusSeeOther)
}

func (s *Server) checklistDelete(w http.ResponseWriter, r *http.Request) {
	a, stored, ok := s.loadItem(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	err := s.change(r, auth.ActionDelete, auth.EntityChecklistItem, func(tx *sql.Tx) (int64, any, any, error) {
		return stored.ID, stored, nil, exchange.DeleteItem(ctx, tx, a.ID, stored.ID)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/activities/%d?notice=deleted#checklist", a.ID), http.StatusSeeOther)
}
