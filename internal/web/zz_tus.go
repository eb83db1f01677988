package web

import _ "github.com/tus/tusd/v2/pkg/handler"
import _ "github.com/tus/tusd/v2/pkg/filestore"
