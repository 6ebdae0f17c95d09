package f2bdb

import (
	"errors"
	"math"
	"strconv"
	"sync"
	"time"
)

// decoders lends fastDecoders (and their grown buffers) to Record calls.
var decoders = sync.Pool{New: func() any { return new(fastDecoder) }}

// Record builds the BanRecord of one row of bans or bips that was read by
// other means than DB (the remote package reads fail2ban's database on
// another host with a script), exactly as DB's queries build theirs, so
// that both give identical records.
//
// The columns are those DB selects: timeOfBan, banTime and banCount as
// SQLite gave them (int64, float64, string, []byte holding their text, or
// nil for NULL: REAL is rounded, text parsed, NULL and garbage read as 0);
// data is the raw data column (nil or empty for NULL), or nil with dataLen
// its length when it was longer than MaxDataBytes and not fetched. data is
// not retained. Record is safe for concurrent use.
func Record(rowID int64, jail, ip string, timeOfBan, banTime, banCount any, data []byte, dataLen int64) BanRecord {
	rec := BanRecord{RowID: rowID, Jail: jail, IP: ip}
	sec, _ := toInt64(timeOfBan)
	rec.TimeOfBan = time.Unix(sec, 0)
	bt, _ := toInt64(banTime)
	rec.BanTime = seconds(bt)
	bc, _ := toInt64(banCount)
	rec.BanCount = int(max(min(bc, math.MaxInt32), 0))
	if data == nil && dataLen > MaxDataBytes {
		rec.DataErr = errors.New("data is " + strconv.FormatInt(dataLen, 10) + " bytes, more than " +
			strconv.Itoa(MaxDataBytes) + ": not decoded")
		return rec
	}
	d := decoders.Get().(*fastDecoder)
	rec.Failures, rec.Matches, rec.Extra, rec.DataErr = d.column(data, true)
	d.data = nil
	decoders.Put(d)
	return rec
}
