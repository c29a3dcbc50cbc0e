import test from 'ava';
import { run, throwsSel } from './helpers.js';

const DT = 'dt = new DateTime(1569018000000);'; // 2019-09-20T22:20:00Z, a Friday

test('the sample expression: month text in UTC', (t) => {
  t.is(run("new DateTime(1569018000000).withZone(DateTimeZone.forID('UTC')).monthOfYear().getAsText();"), 'September');
});

test('DateTime toString is ISO with the offset of its zone', (t) => {
  t.is(run(`${DT} dt.toString();`), '2019-09-20T22:20:00.000Z');
  t.is(run(`${DT} dt.withZone(DateTimeZone.forID('US/Pacific')).toString();`), '2019-09-20T15:20:00.000-07:00');
  t.is(run(`${DT} '' + dt.withZone(DateTimeZone.forID('+05:30'));`), '2019-09-21T03:50:00.000+05:30');
});

test('DateTime getters', (t) => {
  t.deepEqual(
    run(`${DT} new long[]{dt.getYear(), dt.getMonthOfYear(), dt.getDayOfMonth(), dt.getDayOfYear(), dt.getDayOfWeek(),
      dt.getHourOfDay(), dt.getMinuteOfHour(), dt.getSecondOfMinute(), dt.getMillisOfSecond(), dt.getMinuteOfDay(),
      dt.getSecondOfDay(), dt.getMillisOfDay(), dt.getWeekOfWeekyear(), dt.getWeekyear(), dt.getMillis()};`),
    [2019, 9, 20, 263, 5, 22, 20, 0, 0, 1340, 80400, 80400000, 38, 2019, 1569018000000],
  );
});

test('properties: text, value, min/max', (t) => {
  t.deepEqual(
    run(`${DT} new String[]{dt.dayOfWeek().getAsText(), dt.dayOfWeek().getAsShortText(), '' + dt.dayOfWeek().get(),
      dt.monthOfYear().getAsShortText(), dt.dayOfMonth().getAsText(), dt.dayOfMonth().withMaximumValue().toString('yyyy-MM-dd'),
      dt.monthOfYear().withMinimumValue().toString('yyyy-MM-dd')};`),
    ['Friday', 'Fri', '5', 'Sep', '20', '2019-09-30', '2019-01-20'],
  );
});

test('plus/minus and with* (calendar aware, clamping months)', (t) => {
  t.is(run(`${DT} dt.plusDays(1).toString('yyyy-MM-dd');`), '2019-09-21');
  t.is(run(`${DT} dt.minusHours(23).toString('yyyyMMddHH');`), '2019091923');
  t.is(run(`${DT} dt.plusYears(1).minusMonths(2).plusWeeks(1).minusMinutes(20).plusSeconds(5).plusMillis(7).toString();`), '2020-07-27T22:00:05.007Z');
  t.is(run('new DateTime(2020, 1, 31, 0, 0, 0, 0, DateTimeZone.UTC).plusMonths(1).getDayOfMonth();'), 29);
  t.is(run(`${DT} dt.withYear(2000).withMonthOfYear(2).withDayOfMonth(29).withHourOfDay(1).withMinuteOfHour(2).withSecondOfMinute(3).withMillisOfSecond(4).toString();`), '2000-02-29T01:02:03.004Z');
  t.is(run(`${DT} dt.withTimeAtStartOfDay().toString();`), '2019-09-20T00:00:00.000Z');
  t.is(run(`${DT} dt.withDayOfWeek(1).toString('yyyy-MM-dd');`), '2019-09-16');
  throwsSel(t, () => run(`${DT} dt.withMonthOfYear(2).withDayOfMonth(30);`), 'Value 30 for dayOfMonth must be in the range [1,28]');
});

test('comparisons between instants', (t) => {
  t.deepEqual(run(`${DT} b = dt.plusMillis(1); new boolean[]{b.isAfter(dt), b.isBefore(dt), dt.isEqual(dt.withZone(DateTimeZone.forID('Asia/Tokyo')))};`), [true, false, true]);
});

test('daylight saving time follows the zone rules', (t) => {
  const base = "DateTimeZone la = DateTimeZone.forID('America/Los_Angeles'); d = DateTimeFormat.forPattern('yyyy-MM-dd HH:mm').withZone(la).parseDateTime('2020-03-08 01:30');";
  t.is(run(`${base} d.getMillis();`), Date.UTC(2020, 2, 8, 9, 30));
  t.is(run(`${base} d.plusHours(1).toString();`), '2020-03-08T03:30:00.000-07:00');
  t.is(run(`${base} d.plusDays(1).toString();`), '2020-03-09T01:30:00.000-07:00');
  t.is(run(`${base} d.toString('z zzzz');`), 'PST Pacific Standard Time');
});

test('toString patterns: text fields, fractions, offsets, quoting', (t) => {
  t.is(run(`${DT} dt.toString('EEEE, MMMM d, yyyy h:mm a');`), 'Friday, September 20, 2019 10:20 PM');
  t.is(run(`${DT} dt.toString('EEE MMM dd HH:mm:ss.SSS Z|ZZ|ZZZ');`), 'Fri Sep 20 22:20:00.000 +0000|+00:00|UTC');
  t.is(run(`${DT} dt.toString("yyyy-MM-dd'T'HH 'o''clock' yy D w e k K");`), "2019-09-20T22 o'clock 19 263 38 5 22 10");
  t.is(run('new DateTime(System.currentTimeMillis()).withZone(DateTimeZone.UTC).toString("yyyy-MM-dd HH:mm:ss.SSSSSS");', {}, { nowMs: 1569018000123 }), '2019-09-20 22:20:00.123000');
  throwsSel(t, () => run(`${DT} dt.toString('yyyy-qq');`), 'Illegal pattern component: q');
});

test('DateTimeFormat: parse and print (Maestro formatter vectors)', (t) => {
  const one = "one = DateTimeFormat.forPattern('yyyy').withZoneUTC();";
  t.is(run(`${one} one.parseDateTime('2019').toString();`), '2019-01-01T00:00:00.000Z');
  t.is(run(`${one} one.parseDateTime(2019).toString();`), '2019-01-01T00:00:00.000Z');
  t.is(run(`${one} one.parseMillis('2019');`), 1546300800000);
  t.is(run(`${one} one.print(12345);`), '1970');
  t.is(run("DateTimeFormat.forPattern('yyyyMMdd').print(new DateTime(0));"), '19700101');
  t.is(run("DateTimeFormat.forPattern('yyyy-MM-dd HH:mm').withZone(DateTimeZone.forID('Asia/Tokyo')).print(new DateTime(0));"), '1970-01-01 09:00');
  t.is(run("DateTime.parse('2019-01-02', DateTimeFormat.forPattern('yyyy-MM-dd')).getDayOfYear();"), 2);
});

test('parsing: adjacent numeric fields, two-digit years, text, am/pm and offsets', (t) => {
  t.is(run("DateTimeFormat.forPattern('yyyyMMddHH').parseDateTime('2019010101').getHourOfDay();"), 1);
  t.is(run("DateTimeFormat.forPattern('yyyyMMddHH').parseDateTime('201901011').getHourOfDay();"), 1);
  t.is(run("DateTimeFormat.forPattern('yyMMdd').parseDateTime('200101').getYear();", {}, { nowMs: Date.UTC(2023, 0, 1) }), 2020);
  t.is(run("DateTimeFormat.forPattern('yyMMdd').parseDateTime('500101').getYear();", {}, { nowMs: Date.UTC(2023, 0, 1) }), 1950);
  t.is(run("DateTimeFormat.forPattern('EEE, dd MMM yyyy').parseDateTime('Fri, 20 Sep 2019').getDayOfYear();"), 263);
  t.is(run("DateTimeFormat.forPattern('MMMM d yyyy hh:mm a').parseDateTime('september 20 2019 10:20 PM').getHourOfDay();"), 22);
  t.is(run(`DateTimeFormat.forPattern("yyyy-MM-dd'T'HH:mmZ").parseDateTime('2019-09-20T15:20-0700').getMillis();`), 1569018000000);
  t.is(run(`DateTimeFormat.forPattern("yyyy-MM-dd'T'HH:mmZZ").parseDateTime('2019-09-20T22:20Z').getMillis();`), 1569018000000);
  t.is(run(`DateTimeFormat.forPattern("yyyy-MM-dd HH:mm ZZZ").parseDateTime('2019-09-20 15:20 America/Los_Angeles').toString();`), '2019-09-20T22:20:00.000Z');
});

test('parse errors are clear', (t) => {
  throwsSel(t, () => run("DateTimeFormat.forPattern('yyyyMMdd').parseDateTime('20200230');"), 'Value 30 for dayOfMonth must be in the range [1,29]');
  throwsSel(t, () => run("DateTimeFormat.forPattern('yyyyMMdd').parseDateTime('2020-01-01');"), 'Invalid format: "2020-01-01" is malformed at "-01-01"');
  throwsSel(t, () => run("DateTimeFormat.forPattern('yyyyMMdd').parseDateTime('2020');"), 'Invalid format: "2020" is too short');
  throwsSel(t, () => run("DateTimeFormat.forPattern('yyyyMMdd').parseDateTime('2020130x');"), 'malformed');
  throwsSel(t, () => run("DateTimeFormat.forPattern('yyyyMMdd').parseDateTime('20201301');"), 'Value 13 for monthOfYear');
});

test('DateTimeZone: forID, UTC, offsets, unknown ids', (t) => {
  t.is(run('DateTimeZone.UTC.getOffset(new DateTime(0));'), 0);
  t.is(run("DateTimeZone.forID('US/Pacific').getOffset(new DateTime(1569018000000));"), -25200000);
  t.is(run("DateTimeZone.forID('Europe/Paris').getID();"), 'Europe/Paris');
  throwsSel(t, () => run("DateTimeZone.forID('../../etc/passwd');"), "The datetime zone id '../../etc/passwd' is not recognised");
  throwsSel(t, () => run("DateTimeZone.forID('Mars/Olympus');"), 'is not recognised');
});

test('DateTime constructors', (t) => {
  t.is(run('new DateTime(2021, 7, 7, 1, 0, 0, 0, DateTimeZone.UTC).getMillis();'), 1625619600000);
  t.is(run("new DateTime(0, DateTimeZone.forID('Asia/Tokyo')).getHourOfDay();"), 9);
  t.is(run("new DateTime('2019-01-01T10:00:00Z').getHourOfDay();"), 10);
  t.is(run("new DateTime('2019-01-01T10:00:00+02:00').toString();"), '2019-01-01T08:00:00.000Z');
  throwsSel(t, () => run("new DateTime('not a date');"), 'Invalid format');
  throwsSel(t, () => run('new DateTime(2021, 13, 1, 0, 0, 0, 0);'), 'IllegalFieldValueException');
});

test('Days.daysBetween counts whole days', (t) => {
  t.is(run('Days.daysBetween(new DateTime(0), new DateTime(86400000 * 3 + 5)).getDays();'), 3);
  t.is(run('Days.daysBetween(new DateTime(86400000 * 3), new DateTime(86400000 + 1)).getDays();'), -1);
  t.is(run("'' + Days.daysBetween(new DateTime(0), new DateTime(86400000 * 2));"), 'P2D');
});

test('docs example: dateInts of months between two dateInts', (t) => {
  const src = `
    DateTimeFormatter fmt = DateTimeFormat.forPattern('yyyyMMdd').withZone(DateTimeZone.forID('UTC'));
    DateTime d1 = fmt.parseDateTime(String.valueOf(startDateTime));
    DateTime d2 = fmt.parseDateTime(String.valueOf(endDateTime));
    if (!d1.isBefore(d2)) {
      return new int[0];
    }
    int months = 12 * (d2.getYear() - d1.getYear()) + (d2.getMonthOfYear() - d1.getMonthOfYear());
    months += d1.getDayOfMonth() == 1 ? 0 : -1; // adjust months for the start
    months += d2.getDayOfMonth() == 1 ? 0 : 1;  // adjust months for the end
    if (d1.getDayOfMonth() > 1) {
      d1 = d1.withDayOfMonth(1).plusMonths(1);  // adjust the start month
    }
    int[] ret = new int[months];
    for(int i=0; i < months; i+=1) {
       ret[i] = Integer.valueOf(d1.plusMonths(i).toString("yyyyMMdd"));
    }
    return ret;`;
  t.deepEqual(run(src, { startDateTime: 20190101, endDateTime: 20190501 }), [20190101, 20190201, 20190301, 20190401]);
  t.deepEqual(run(src, { startDateTime: 20190115, endDateTime: 20190420 }), [20190201, 20190301, 20190401]);
  t.deepEqual(run(src, { startDateTime: 20190501, endDateTime: 20190101 }), []);
});

test('docs example: quarter of the year in a zone', (t) => {
  const src = "DateTime dt = new DateTime().withZone(DateTimeZone.forID('US/Pacific')); return String.format('Q%s-%s', ((dt.getMonthOfYear() - 1) / 3) + 1, dt.getYear());";
  t.is(run(src, {}, { nowMs: Date.UTC(2021, 6, 1, 3) }), 'Q2-2021');
  t.is(run(src, {}, { nowMs: Date.UTC(2021, 6, 1, 9) }), 'Q3-2021');
});
