/*
 * evgroup web UI: every word it shows, in one place, and the browser's
 * locale for numbers and dates.
 *
 * TEXTS holds one dictionary per language; 'en' is complete and is what
 * any missing key falls back to. Keys are "page.what" (a page's own
 * texts under its name: 'dashboard.', 'chargers.', ...; 'common.' for
 * what several pages say). {0}, {1}... are filled with t()'s arguments,
 * which are put in as text. A page kept in a file of its own
 * (webui/NAME.js) moves its texts here under 'NAME.'.
 *
 * A translation is one more file, text-LANG.js, with its <script> tag in
 * index.html after this one and before app.js, that says
 * TEXTS.LANG = { 'key': 'words', ... } (only the keys it has are
 * translated; the language is chosen at the first word shown). The settings' names come from the appliance
 * (GET /api/config, schema "label"); a translation may give them too,
 * as 'setting.SECTION.KEY' ('setting.charger.max_current1'), and the
 * appliance's words for states and choices as 'state.STATE'
 * ('state.charging') and 'choice.VALUE' ('choice.dynamic'). The reasons
 * and messages the appliance sends are its own (English).
 *
 * Numbers and dates are shown in the browser's locale (navigator.
 * language) whatever the language of the words; a number may be typed
 * with a decimal comma or point (typedNum()).
 */
'use strict';

const TEXTS = {
  en: {
    /* common */
    'common.noAnswer': 'the appliance does not answer',
    'common.save': 'Save',
    'common.cancel': 'Cancel',
    'common.remove': 'Remove',
    'common.show': 'Show',
    'common.all': 'all',
    'common.from': 'From',
    'common.to': 'To',
    'common.notNumber': '\u2018{0}\u2019 is not a number',
    'common.unit': '{0} ({1})',
    'common.yes': 'yes',
    'common.no': 'no',
    'common.role.bms': 'building management system',
    'common.role.installer': 'installer',
    'common.role.operator': 'operator',
    /* index.html */
    'page.title': 'evgroup',
    'page.skip': 'Skip to content',
    'page.logout': 'Log out',
    'page.pages': 'Pages',
    'page.menu': 'Menu',
    'nav.dashboard': 'Dashboard',
    'nav.alarms': 'Alarms',
    'nav.history': 'History',
    'nav.energy': 'Energy',
    'nav.chargers': 'Chargers',
    'nav.circuits': 'Circuits',
    'nav.balancing': 'Load balancing',
    'nav.metering': 'Metering',
    'nav.authorisation': 'Authorisation',
    'nav.smart': 'Smart charging',
    'nav.mqtt': 'MQTT',
    'nav.bms': 'Building management',
    'nav.commissioning': 'Commissioning',
    'nav.sessions': 'Sessions',
    'nav.events': 'Events',
    'nav.users': 'Users',
    /* login */
    'login.title': 'Log in',
    'login.user': 'User name',
    'login.password': 'Password',
    'login.submit': 'Log in',
    'login.failed': 'cannot log in',
    'login.who': '{0} ({1})',
    /* the banner */
    'bms.title': 'A building management system\u2019s login',
    'bms.text': 'This login sets and clears the site\u2019s external limit through the JSON API (PUT /api/external-limit) and reads the status; the pages are for operators and installers.',
    'banner.lost': 'The appliance does not answer: reconnecting\u2026',
    'banner.pending': 'Saved settings wait for a restart of the appliance:',
    'banner.restartNow': 'Restart now',
    'banner.meterOffline': 'Meter offline: the chargers share {0} per phase.',
    'banner.restarting': 'Restarting\u2026',
    'pending.added': '{0}: {1}',
    'pending.decommissioned': '{0}: decommissioned',
    'pending.change': '{0}: {1} now, {2} after the restart',
    'restart.ask': 'Restart the appliance now?\n\n'
      + 'Interrupted for a few seconds: the control of the chargers (they keep their current, then their fallback current), '
      + 'this page and the console (they reconnect). Cars go on charging; sessions go on.\n\n'
      + 'Kept: the configuration (pending settings take effect), sessions, events, users and logins (nobody logs in again), '
      + 'RFID tags, pauses, boosts and locks.\n\n'
      + 'A card swiped before the restart is not used after it: a car waiting for authorisation needs a new swipe.',
    /* saving */
    'save.raiseAsk': 'This raises a limit. Check the figures:\n\n{0}\n\nSave it?',
    'save.raiseLine': '{0}: {1} \u2192 {2}\n  {3}.',
    'save.inForce': 'In force now: {0}.',
    'save.afterRestart': 'Saved; takes effect after a restart: {0}.',
    'save.saved': 'Saved: {0}',
    'save.nothing': 'Nothing changed.',
    'save.cancelled': 'Not saved: nothing changed.',
    /* forced password change */
    'password.title': 'Choose a new password',
    'password.why': 'This is the first login with the default password. Choose your own before anything else.',
    'password.current': 'Current password',
    'password.new': 'New password (8 characters or more)',
    'password.save': 'Save password',
    /* dashboard */
    'dashboard.title': 'Dashboard',
    'dashboard.supply': 'Supply per phase',
    'dashboard.building': 'building',
    'dashboard.cars': 'cars',
    'dashboard.limit': 'limit in force',
    'dashboard.fuse': 'main fuse',
    'dashboard.connectors': 'Connectors',
    'dashboard.alarms': 'Alarms now ({0})',
    'dashboard.since': '{0} (since {1})',
    'dashboard.acked': ' \u00b7 acknowledged by {0}, {1}',
    'dashboard.ackLink': 'Acknowledge on the Alarms page',
    'dashboard.barLabel': 'L{0}: building {1}, cars {2}, limit {3}',
    'dashboard.barLabelExport': 'L{0}: exporting {1}, cars {2}, limit {3}',
    'dashboard.fuseTitle': 'main fuse {0}',
    'dashboard.buildingA': 'building {0}',
    'dashboard.exporting': 'exporting {0}',
    'dashboard.nums': ' \u00b7 cars {0} \u00b7 measured {1} \u00b7 limit {2} \u00b7 cars may take {3}',
    'dashboard.numsSolar': ' \u00b7 cars {0} \u00b7 measured {1} \u00b7 surplus {2} \u00b7 cars may take {3} (the fuse would allow {4})',
    'dashboard.summary': 'Mode {0} \u00b7 group limit {1} \u00b7 meter {2} \u00b7 {3} charging, {4} waiting',
    'dashboard.meterOnline': 'online',
    'dashboard.meterOffline': 'offline',
    'dashboard.greenStart': ' \u00b7 green: the next car starts in {0} if the surplus holds',
    'dashboard.greenStop': ' \u00b7 green: a car stops in {0} unless the surplus comes back',
    'dashboard.greenWait': ' \u00b7 green: waiting for a surplus',
    /* a connector's card */
    'conn.title': '{0} \u00b7 {1}',
    'conn.led': 'LED: {0}',
    'conn.state': 'State',
    'conn.offer': 'Offer',
    'conn.why': 'Why',
    'conn.draw': 'Draw',
    'conn.session': 'Session',
    'conn.wiring': 'Wiring',
    'conn.faults': 'Faults',
    'conn.pausedByOperator': '{0} (paused by operator)',
    'conn.offline': 'charger offline',
    'conn.offerText': '{0} (allowed {1})',
    'conn.sessionText': '{0} kWh \u00b7 {1}',
    'conn.wiringText': '{0} \u00b7 max {1}',
    'conn.ocppCap': 'CSMS cap',
    'conn.ocppCapText': '{0} (OCPP charging profile)',
    'conn.resetAsk': 'Reset the latched fault of {0} connector {1}? Only after the cause is fixed.',
    'conn.done': '{0} {1}: {2} done',
    'conn.pause': 'Pause',
    'conn.resume': 'Resume',
    'conn.lock': 'Lock',
    'conn.unlock': 'Unlock',
    'conn.boost': 'Boost',
    'conn.authorise': 'Authorise',
    'conn.reset': 'Reset fault',
    'conn.duration': '{0} h {1} min',
    /* the dashboard's circuits and site limits (circuitbars.js) */
    'cbar.title': 'Circuits',
    'cbar.external': 'External limit in force: {0} per phase, set by {1}, until {2} ({3} left). The configured limits return when it is not renewed.',
    'cbar.imbalance': 'Phase balance: {0} between the phases now (limit {1})',
    'cbar.imbalanceNoMeter': 'Phase balance limit {0} (no meter reading now)',
    'cbar.demandTitle': 'Demand window {0}\u2013{1} ({2} min)',
    'cbar.demandBar': 'average so far {0}, projected {1}, target {2}',
    'cbar.demandNums': 'average so far {0} \u00b7 projected {1} \u00b7 target {2} \u00b7 the chargers may take {3} now \u00b7 {4} left',
    'cbar.demandHeading': 'Warning: at the present power this window ends over its target; the chargers are being held back.',
    'cbar.demandOver': 'This window is over its target already: its energy so far is past what the target allows.',
    'cbar.limit': 'limit {0} per phase',
    'cbar.noMeter': 'no meter of its own',
    'cbar.meterOnline': 'its meter: online',
    'cbar.meterOffline': 'its meter: OFFLINE \u2014 its chargers share its offline limit of {0}',
    'cbar.chargers': 'chargers: {0}',
    'cbar.noChargers': 'no chargers directly on it',
    'cbar.imbalanceShort': 'phase balance {0} (limit {1})',
    'cbar.imbalanceLimit': 'phase balance limit {0}',
    'cbar.barLabel': '{0} L{1}: building {2}, cars {3}, cars may take {4}, limit {5}',
    'cbar.nums': 'cars {0} \u00b7 may take {1} \u00b7 limit {2}',
    'cbar.measured': ' \u00b7 measured {0}',
    'cbar.legendOwn': 'its own load (metered)',
    'cbar.legendFree': 'the cars may still take',
    'cbar.legendLimit': 'its limit',
    'cbar.legendAverage': 'average so far',
    'cbar.legendProjected': 'projected to the end',
    'cbar.legendTarget': 'target',
    /* energy (energy.js) */
    'energy.title': 'Energy',
    'energy.view': 'Show',
    'energy.site': 'Whole site',
    'energy.connector': 'Per connector',
    'energy.tag': 'Per RFID tag',
    'energy.which.connector': 'Connector',
    'energy.which.tag': 'Tag',
    'energy.all': 'all',
    'energy.group': 'Per',
    'energy.day': 'day',
    'energy.month': 'month',
    'energy.from': 'From',
    'energy.to': 'To',
    'energy.go': 'Show',
    'energy.csv': 'Download CSV',
    'energy.period': 'Period',
    'energy.energy': 'Energy',
    'energy.sessions': 'Sessions',
    'energy.total': 'Total',
    'energy.noTag': 'no tag',
    'energy.none': 'No session ended in this range.',
    'energy.chart': 'Energy per period, in kWh',
    'energy.kwh': 'kWh',
    'energy.note': 'Days and months are the appliance\u2019s own (its time zone). A session counts whole in the day it ended; one in progress counts with its energy so far, saved each minute.',
    /* alarms (alarms.js) */
    'alarms.title': 'Alarms',
    'alarms.help': 'An alarm lasts as long as its cause. Acknowledge it to say you have seen it: it stays listed, '
      + 'after the others, until its cause is gone; if the cause comes back it is a new alarm.',
    'alarms.ackedBy': 'acknowledged by {0}, {1}',
    'alarms.notAcked': 'not acknowledged',
    'alarms.acknowledged': 'Acknowledged: {0} ({1}).',
    'alarms.already': 'Already {0}.',
    'alarms.now': 'Now ({0})',
    'alarms.cols': ['Alarm', 'Since', 'Acknowledged'],
    'alarms.sev': '{0}: ',
    'alarms.ack': 'Acknowledge',
    'alarms.nothing': 'Nothing is wrong now.',
    'alarms.cleared': 'Cleared lately',
    'alarms.clearedCols': ['Alarm', 'Since', 'Cleared', 'Acknowledged'],
    'alarms.noneCleared': 'None yet.',
    'alarms.webhook': 'Webhook',
    'alarms.webhookHelp': 'Each new alarm is sent as a JSON POST (5 attempts, 1-8 s apart). '
      + 'The token is never shown: "(set)" means one is saved; clear the field to remove it. Send test uses the saved settings.',
    'alarms.sendTest': 'Send test',
    'alarms.sending': 'Sending a test alarm\u2026',
    'alarms.delivered': 'Delivered: the receiver answered HTTP {0}.',
    'alarms.notDelivered': 'Not delivered to {0}: {1}.',
    /* the phase check on the chargers page (testmode.js); its result's
     * words are the wizard's too */
    'testmode.button': 'Phase check',
    'testmode.buttonN': 'Phase check {0}',
    'testmode.head': 'Phase check, connector {0} (configured {1})',
    'testmode.help': 'The connector is offered its minimum, then the test current, while the meter reads each phase; '
      + 'the other cars are held steady meanwhile. A car must be plugged in and charging; a single-phase car shows the rotation. '
      + 'Test current: from {0} (4 A above the minimum) to the connector\u2019s {1} or its charger\u2019s rating, if lower; '
      + 'it takes about 30 s.',
    'testmode.current': 'Test current (A)',
    'testmode.badCurrent': 'Test current: a number of amperes, for example 16',
    'testmode.start': 'Start phase check',
    'testmode.stop': 'Stop',
    'testmode.step.baseline': 'Step 1 of 3: the connector at its minimum, the site read as it is',
    'testmode.step.step': 'Step 2 of 3: the test current offered, the car follows (5 s)',
    'testmode.step.measure': 'Step 3 of 3: the site read at the test current',
    'testmode.step.return': 'Step 3 of 3: back at the minimum, the site read again (the fall must mirror the rise)',
    'testmode.running': '{0} \u00b7 offered {1} \u00b7 {2} s of at most {3} s',
    'testmode.risesLater': 'Each phase\u2019s rise shows once the site has been read at the minimum.',
    'testmode.carDraws': 'The car draws more on its L1 {0}, L2 {1}, L3 {2} (as its charger measures).',
    'testmode.busy': 'A phase check runs on connector {0} of {1} ({2}); one at a time.',
    'testmode.verdict.match': 'Match: {0}',
    'testmode.verdict.mismatch': 'Mismatch: {0}',
    'testmode.verdict.inconclusive': 'Inconclusive: {0}',
    'testmode.car': 'The car\u2019s conductors',
    'testmode.site': 'The site phases they land on',
    'testmode.rise': 'Clamp rise',
    'testmode.configured': 'Configured wiring',
    'testmode.suggested': 'Suggested wiring',
    'testmode.readings': 'Readings',
    'testmode.readingsText': '{0} before, {1} during',
    'testmode.figure': '{0}: {1}',
    'testmode.none': 'none',
    'testmode.setWiring': 'Set connector {0} wiring to {1}',
    'testmode.setAsk': 'Change the wiring setting of connector {0} of {1} from {2} to {3}?\n\n'
      + 'The meter saw the car on {4}. The change takes effect after a restart.',
    /* the commissioning wizard (wizard.js) */
    'wizard.title': 'Commissioning',
    'wizard.intro': 'A guided pass through the site, ending in a report with every setting and every result. '
      + 'Progress is kept in this browser until the report is saved; you may leave and come back.',
    'wizard.operator': 'Only installers commission a site. The saved reports:',
    'wizard.steps': ['Supply and limits', 'Meter and clamps', 'Chargers', 'Summary and report'],
    'wizard.stepButton': '{0}. {1}',
    'wizard.back': 'Back',
    'wizard.next': 'Next',
    'wizard.restart': 'Start again',
    'wizard.restartAsk': 'Forget the results recorded so far (nothing on the site changes)?',
    'wizard.pass': 'pass',
    'wizard.warn': 'warn',
    'wizard.fail': 'fail',
    'wizard.skipped': 'skipped',
    'wizard.none': 'not checked yet',
    'wizard.siteHelp': 'The main fuse (site limit), what all chargers together may take (group limit) and what is kept free '
      + 'below the fuse (margin). Saving here is the same as on the Load balancing page: a raise asks first, with the figures.',
    'wizard.fallbackTitle': 'The fallback arithmetic',
    'wizard.meterHelp': 'Switch on a known load (a heater on one phase) and watch that phase rise by about the right amount.',
    'wizard.meterLive': 'Live readings',
    'wizard.meterCheck': 'Meter check',
    'wizard.clampCheck': 'Clamp check',
    'wizard.meterForm': 'Meter',
    'wizard.liveText': 'Meter {0}: L1 {1}, L2 {2}, L3 {3} \u00b7 as of {4}',
    'wizard.online': 'online',
    'wizard.offline': 'offline',
    'wizard.chargerHelp': 'Test each charger: it must answer, take this appliance\u2019s writes, be rated for its configured '
      + 'maximum and be in the authorisation mode of the site. Then check each connector\u2019s phase rotation with a car.',
    'wizard.test': 'Test {0}',
    'wizard.reaching': 'Reaching {0}\u2026',
    'wizard.chargerHead': '{0} \u00b7 {1}:{2}',
    'wizard.connHead': 'Connector {0} \u00b7 wired {1}',
    'wizard.phaseRun': 'Run the phase check',
    'wizard.phaseStop': 'Stop',
    'wizard.skip': 'Record as skipped',
    'wizard.reason': 'Why it is skipped',
    'wizard.reasonRequired': 'Why it is skipped: required.',
    'wizard.phaseNone': 'phase check not available on this appliance',
    'wizard.phaseNoneDot': 'Phase check not available on this appliance.',
    'wizard.phaseAmps': 'Test current (A)',
    'wizard.phaseSecs': 'Seconds',
    'wizard.phaseState': 'Phase check: {0}',
    'wizard.phaseStateText': 'Phase check: {0}: {1}',
    'wizard.phaseFix': 'Set the wiring to {0}',
    'wizard.phaseAgain': '{0} Run the phase check again after the restart.',
    'wizard.phaseNeedsCar': 'Plug a car (or a test box) into the connector first; the check drives it at the test current.',
    'wizard.installer': 'Installer\u2019s name',
    'wizard.notes': 'Notes (plain text)',
    'wizard.save': 'Save the report',
    'wizard.saved': 'Report saved.',
    'wizard.openReport': 'Open report {0}',
    'wizard.open': 'Open',
    'wizard.download': 'Download',
    'wizard.reports': 'Saved reports',
    'wizard.reportCols': ['Number', 'Date', 'Site', 'Installer', 'Results', ''],
    'wizard.counts': '{0} pass, {1} warn, {2} fail, {3} skipped',
    'wizard.noReports': 'No report saved yet.',
    'wizard.print': 'Open it and print it, or choose "Save as PDF" in the print dialog.',
    'wizard.alarms': 'Alarms',
    'wizard.alarmsNone': 'No alarm is active.',
    'wizard.alarmsSome': '{0} alarm(s) active: {1}',
    'wizard.results': 'Results',
    'wizard.resultCols': ['Check', 'Where', 'Result', 'Finding'],
    'wizard.site': 'site',
    'wizard.where': '{0} \u00b7 {1}',
    'wizard.figure': '{0}: {1}',
    /* each check's name, in the order of the report */
    'wizard.name.site': 'Supply and limits',
    'wizard.name.meter': 'Meter',
    'wizard.name.clamps': 'Clamps',
    'wizard.name.charger-test': 'Charger test',
    'wizard.name.charger-ratings': 'Ratings',
    'wizard.name.charger-authorisation': 'Authorisation mode',
    'wizard.name.phase-rotation': 'Phase rotation',
    'wizard.name.fallback': 'Fallback arithmetic',
    'wizard.name.alarms': 'Alarms',
    /* the findings (what the report keeps) */
    'wizard.fb.none': 'Fallback current 0 A: when the appliance stops, every charger pauses by itself; nothing is drawn unwatched.',
    'wizard.fb.text': 'When the appliance stops, each of the {0} connectors on L{1} falls back to {2} by itself: {3} on L{1}, '
      + 'against {4} {5} on a {6} fuse: {7}',
    'wizard.fb.fits': 'it fits.',
    'wizard.fb.tooMuch': 'too much.',
    'wizard.fb.groupLimit': 'the group limit',
    'wizard.fb.offlineLimit': 'the meter-offline limit',
    'wizard.fb.current': 'fallback current',
    'wizard.fb.phase': '{0} ({1} connectors)',
    'wizard.fb.against': 'held against',
    'wizard.fb.againstText': '{0} {1}',
    'wizard.fb.siteLimit': 'site limit',
    'wizard.siteText': 'Main fuse {0} per phase, margin {1}: the cars and the building may use up to {2}; '
      + 'the chargers together at most {3} ({4} mode).',
    'wizard.siteBinds': ' The fuse less the margin binds before the group limit.',
    'wizard.fig.siteLimit': 'site limit',
    'wizard.fig.groupLimit': 'group limit',
    'wizard.fig.margin': 'margin',
    'wizard.fig.mode': 'mode',
    'wizard.meter.none': 'No meter: static mode shares the group limit without one.',
    'wizard.meter.needed': 'No meter enabled, but the {0} mode needs one.',
    'wizard.meter.rtu': '{0} over RTU {1}, unit {2}',
    'wizard.meter.tcp': '{0} over TCP {1}:{2}, unit {3}',
    'wizard.meter.answers': 'The meter answers ({0}); its readings are at most {1} s old (polled every {2} ms).',
    'wizard.meter.silent': 'The meter does not answer ({0}).',
    'wizard.meter.silentWhy': 'The meter does not answer ({0}): {1}.',
    'wizard.clamps.offline': 'No readings: the meter is offline.',
    'wizard.clamps.high': 'L{0} reads {1}, above the fuse: check the clamp\u2019s rating and scale.',
    'wizard.clamps.negative': 'L{0} reads {1}: a clamp reversed (arrow towards the load) or on the wrong conductor; '
      + 'export is expected only in hybrid or green mode.',
    'wizard.clamps.off': 'Clamp L{0} is not fitted: that phase is not measured.',
    'wizard.clamps.zero': 'L{0} reads {1} while another phase reads current: a clamp not connected, or no load on that phase yet.',
    'wizard.clamps.ok': 'All three phases read plausibly.',
    'wizard.clamps.okSolar': 'All three phases read plausibly (export on a solar site).',
    'wizard.charger.silent': '{0} ({1}:{2}) does not answer: {3}.',
    'wizard.charger.answers': '{0} answers: register map v{1}, firmware {2}, serial {3}',
    'wizard.charger.fewer': '{0}; it has {1} connector(s), {2} configured.',
    'wizard.charger.writable': '{0}; it takes this appliance\u2019s writes.',
    'wizard.charger.notWritable': '{0}, but {1}.',
    'wizard.ratings.conn': 'connector {0}',
    'wizard.ratings.fig': 'set {0}, rated {1}',
    'wizard.ratings.unknown': '?',
    'wizard.ratings.over': 'Connector {0} is set above what the charger is rated for: lower its maximum.',
    'wizard.ratings.ok': 'Every connector\u2019s maximum is within the charger\u2019s own rating.',
    'wizard.ratings.unsaid': 'The charger did not say its ratings.',
    'wizard.auth.ok': 'The charger is in {0} mode, as the site\u2019s {1} authorisation needs.',
    'wizard.auth.other': 'The charger is in {0} mode; the site\u2019s {1} authorisation needs {2}: '
      + 'the appliance sets it when it next connects (test again in a few seconds).',
    'wizard.auth.unknown': 'The charger (register map v{0}) cannot say or take its mode: set its unit.authorisation to {1} at the charger.',
    /* history */
    'history.title': 'History',
    'history.range': 'Range',
    'history.day': 'Last 24 hours',
    'history.week': 'Last 7 days',
    'history.plotLabel': 'Current per phase over time, with the limit',
    'history.legendSite': 'solid: site current L1 (brown), L2 (black), L3 (grey)',
    'history.legendCars': 'dashed blue: cars',
    'history.legendLimit': 'site limit',
    'history.empty': 'No history yet: a point is recorded at the end of each minute.',
    /* building management (bms.js) */
    'bmspage.title': 'Building management',
    'bmspage.intro': 'A building management system reads the site over Modbus TCP and, from the addresses allowed to write, sets an external limit or pauses every connector (docs/bms.md). Changes here take effect at the next restart.',
    'bmspage.now': 'What the building management system set',
    'bmspage.limit': 'External limit: {0} A (L1 / L2 / L3) until {1}',
    'bmspage.noLimit': 'No external limit from it now.',
    'bmspage.paused': 'Connectors it paused: {0}',
    /* OCPP (ocpp.js) */
    'ocpp.nav': 'OCPP',
    'ocpp.title': 'OCPP: the link to the CSMS',
    'ocpp.intro': 'With OCPP on, each charger is a charge point of the charge point management system (CSMS): it sees sessions, meter values and faults, authorises tags and may limit the chargers (docs/ocpp.md). Changes here take effect at the next restart.',
    'ocpp.links': 'Chargers at the CSMS',
    'ocpp.off': 'OCPP is off: no charger is connected to a CSMS.',
    'ocpp.summary': '{0} of {1} chargers connected to {2}',
    'ocpp.cols': ['Charger', 'Identity', 'Link', 'Last message', 'Queued'],
    'ocpp.notCp': 'not a charge point',
    'ocpp.why': '({0})',
    'ocpp.never': 'never',
    'ocpp.secondsAgo': '{0} s ago',
    'ocpp.minutesAgo': '{0} min ago',
    'ocpp.link.off': 'off',
    'ocpp.link.connecting': 'connecting',
    'ocpp.link.booting': 'connected, booting',
    'ocpp.link.accepted': 'accepted',
    'ocpp.link.pending': 'pending at the CSMS',
    'ocpp.link.rejected': 'rejected by the CSMS',
    'ocpp.events': 'Recent OCPP events',
    'ocpp.noEvents': 'No OCPP event lately.',
    'ocpp.ev.connected': 'connected',
    'ocpp.ev.disconnected': 'disconnected',
    'ocpp.ev.boot_rejected': 'boot rejected',
    'ocpp.settings': 'Settings',
    'ocpp.passwordSet': 'set (type a new one to change it)',
    'ocpp.passwordNone': 'not set',
    'ocpp.passwordIsSet': 'set',
    'ocpp.dashLink': 'OCPP',
    /* settings pages */
    'settings.balancing': 'Load balancing',
    'settings.smart': 'Smart charging',
    'settings.mqtt': 'MQTT and Home Assistant',
    'settings.readOnly': 'Shown as set; only installers change settings.',
    'settings.mismatch': 'not the same as the new password',
    /* metering */
    'metering.title': 'Metering',
    'metering.live': 'Live readings',
    'metering.meter': 'Meter',
    'metering.clamp': 'Clamp L{0}',
    'metering.liveText': 'Meter {0}: L1 {1}, L2 {2}, L3 {3}',
    'metering.online': 'online',
    'metering.offline': 'offline',
    'metering.offlineWhy': 'offline ({0})',
    'metering.notUsed': 'The fields this meter does not use are hidden.',
    /* chargers */
    'chargers.title': 'Chargers',
    'chargers.reaching': 'Reaching {0}\u2026',
    'chargers.noAnswer': '{0} ({1}:{2}) does not answer: {3}',
    'chargers.answers': '{0} answers: register map v{1}, {2} connector(s), firmware {3}, serial {4}, {5} \u00b0C',
    'chargers.writable': '{0}; it takes this appliance\u2019s writes.',
    'chargers.notWritable': '{0}. But {1}',
    'chargers.decommissionAsk': 'Decommission {0}? It is paused now (its fallback current set to 0 A) and leaves the group at the next restart; its sessions and events stay.',
    'chargers.stopAsk': '{0}.\n\nStop the charging and decommission {1}?',
    'chargers.removed': '{0} removed: {1}',
    'chargers.edit': 'Edit {0}',
    'chargers.summary': '{0}:{1} \u00b7 unit {2} \u00b7 {3} connector(s) \u00b7 connector 1 {4} max {5} A',
    'chargers.summary2': ' \u00b7 connector 2 {0} max {1} A',
    'chargers.test': 'Test connection',
    'chargers.editButton': 'Edit',
    'chargers.decommission': 'Decommission',
    'chargers.add': 'Add a charger',
    'chargers.name': 'Name',
    'chargers.host': 'IPv4 address',
    'chargers.port': 'Modbus TCP port',
    'chargers.unit': 'Unit id',
    'chargers.connectors': 'Connectors',
    'chargers.wiring': 'Connector {0}: wiring',
    'chargers.max': 'Connector {0}: maximum current (A)',
    'chargers.addButton': 'Add charger',
    'chargers.added': 'Added as charger {0}: {1}',
    /* circuits (circuits.js) */
    'circuits.title': 'Circuits',
    'circuits.help': 'The supply and the boards or cables with a fuse of their own below it, each under the one it hangs from. '
      + 'Every fuse here is kept safe: add a circuit for each, and move each charger into its own.',
    'circuits.helpOperator': 'The supply and the boards or cables with a fuse of their own below it. Only installers change them.',
    'circuits.supply': 'Supply (main fuse)',
    'circuits.summary': 'Limit {0} · margin {1} · unbalanced-load limit {2} · meter offline limit {3} · {4}',
    'circuits.supplySummary': 'Main fuse {0} · margin {1} · unbalanced-load limit {2} · {4}',
    'circuits.none': 'none',
    'circuits.noMeter': 'no meter',
    'circuits.meter': 'meter {0}',
    'circuits.meterOnline': 'meter {0}, online',
    'circuits.meterOffline': 'meter {0}, offline ({1}): its meter offline limit applies',
    'circuits.supplyMeter': 'meter fitted',
    'circuits.supplyMeterOnline': 'meter online',
    'circuits.supplyMeterOffline': 'meter offline',
    'circuits.barLabel': 'L{0}: chargers counted at {1}, may take {2} more, limit {3}',
    'circuits.nums': 'chargers {0} · may take {1} more',
    'circuits.measured': ' · measured {0}',
    'circuits.chargers': 'Chargers',
    'circuits.noChargers': 'No charger directly in it.',
    'circuits.moveLabel': '{0}: circuit',
    'circuits.moved': '{0} moved to {1}: {2}',
    'circuits.edit': 'Edit {0}',
    'circuits.removed': '{0} removed: {1}',
    'circuits.add': 'Add a circuit',
    'circuits.name': 'Name',
    'circuits.parent': 'Under',
    'circuits.limit': 'Limit per phase: its fuse or cable rating (A)',
    'circuits.margin': 'Margin (A)',
    'circuits.imbalance': 'Unbalanced-load limit (A, 0: none)',
    'circuits.offlineLimit': 'Meter offline limit (A)',
    'circuits.meterType': 'Meter',
    'circuits.meterHost': 'Meter address (Modbus TCP)',
    'circuits.addHint': 'A meter over RS485 and the meter’s other settings: Edit, once added.',
    'circuits.addButton': 'Add circuit',
    'circuits.added': '{0} added: {1}',
    'circuits.noneYet': 'No circuits yet: every charger is under the main fuse alone.',
    'circuits.restartNote': 'Circuits added or removed, chargers moved, and meters take effect after a restart (banner above).',
    'chargers.restartNote': 'Changes to the chargers take effect after a restart (banner above).',
    /* authorisation */
    'auth.title': 'Authorisation',
    'auth.mode': 'Mode',
    'auth.whitelist': 'RFID whitelist',
    'auth.enabled': 'enabled',
    'auth.disabled': 'disabled',
    'auth.noEnd': 'no end',
    'auth.disable': 'Disable',
    'auth.enable': 'Enable',
    'auth.removeAsk': 'Remove tag {0}?',
    'auth.add': 'Add a tag',
    'auth.tag': 'Tag (the card\u2019s UID)',
    'auth.name': 'Name',
    'auth.until': 'Valid until (optional)',
    'auth.addButton': 'Add tag',
    'auth.overwriteAsk': '{0}. Overwrite it with \u2018{1}\u2019?',
    'auth.cols': ['Tag', 'Name', 'State', 'Valid until', ''],
    'auth.none': 'No tags yet.',
    /* sessions */
    'sessions.title': 'Sessions',
    'sessions.charger': 'Charger',
    'sessions.connector': 'Connector',
    'sessions.tag': 'RFID tag',
    'sessions.tagNamed': '{0} ({1})',
    'sessions.csv': 'Download CSV',
    'sessions.cols': ['Charger', 'Connector', 'Start', 'End', 'Energy', 'Peak', 'Tag', 'Stop reason'],
    'sessions.inProgress': 'in progress',
    'sessions.kwh': '{0} kWh',
    'sessions.none': 'No sessions in this range.',
    /* events */
    'events.title': 'Events',
    'events.severity': 'Severity',
    'events.all': 'all',
    'events.warnings': 'warnings and alarms',
    'events.alarms': 'alarms',
    'events.cols': ['Time', 'Severity', 'Source', 'Event'],
    'events.sev': ['info', 'warning', 'alarm'],
    /* users */
    'users.title': 'Users',
    'users.yours': 'Your password',
    'users.current': 'Current password',
    'users.new': 'New password',
    'users.confirm': 'New password again',
    'users.change': 'Change password',
    'users.changed': 'Password changed.',
    'users.logins': 'Logins',
    'users.cols': ['Name', 'Role', ''],
    'users.toChoose': '{0} (to choose a password)',
    'users.reset': 'Reset password',
    'users.resetTitle': 'New password for {0}',
    'users.resetHint': 'They choose their own at their next login.',
    'users.removeAsk': 'Remove {0}?',
    'users.add': 'Add a login',
    'users.name': 'Name',
    'users.role': 'Role',
    'users.first': 'First password',
    'users.addButton': 'Add login',
  },
};

/* The language of the words: the browser's first that has a
 * dictionary, else English (once every dictionary is loaded). */
let uiLangChosen = null;
function uiLang() {
  if (uiLangChosen === null)
    uiLangChosen = (navigator.languages || [navigator.language || 'en'])
      .map((l) => String(l).toLowerCase().split('-')[0]).find((l) => TEXTS[l]) || 'en';
  return uiLangChosen;
}
/* The locale of numbers and dates: the browser's own. */
const LOCALE = navigator.language || 'en';

/* The words for key, {0}, {1}... filled with args (as text). */
function t(key, ...args) {
  const w = (TEXTS[uiLang()] && TEXTS[uiLang()][key]) ?? TEXTS.en[key];
  if (w === undefined) return key;
  if (typeof w !== 'string') return w;
  return w.replace(/\{(\d+)\}/g, (m, i) => (args[i] === undefined || args[i] === null ? '' : String(args[i])));
}

/* The words for key if a dictionary has them, else fallback (an
 * appliance's own word: a state, a setting's choice). */
function tOr(key, fallback) {
  const w = t(key);
  return w === key ? fallback : w;
}

/* A number in the browser's locale with d decimals ("16,5" in de), no
 * thousands separator ("2000,0", never "2.000,0": one that could be read
 * as a decimal is worse than none). */
const numFormats = {};
function fmtNum(v, d) {
  if (!numFormats[d]) numFormats[d] = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: d, maximumFractionDigits: d, useGrouping: false });
  return numFormats[d].format(Number(v));
}
const DECIMAL = fmtNum(1.5, 1).replace(/[0-9]/g, '') || '.';

/*
 * A number as typed: a decimal comma or point, no thousands separator
 * ("6,5", "6.5", " 16 "); the appliance takes the point. Anything else
 * is returned as typed, for the appliance to refuse with its reason.
 */
function typedNum(s) {
  const v = String(s).trim();
  return /^[-+]?[0-9]+([.,][0-9]+)?$/.test(v) ? v.replace(',', '.') : v;
}

/* A decimal setting as the appliance writes it ("16.5"), shown in the
 * locale's way for an input ("16,5"). */
function numShown(s) {
  return DECIMAL !== '.' && /^-?[0-9]+\.[0-9]+$/.test(s) ? s.replace('.', DECIMAL) : s;
}

const dateFormat = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'short', timeStyle: 'medium' });
const fmtDate = (ms) => (ms ? dateFormat.format(new Date(ms)) : '');

/* index.html's own words: each element with data-t gets its text,
 * data-t-label its aria-label. The page's language is the browser's
 * (en-GB) where the words are in it, else the words' (a screen reader
 * reads them right). */
function textPage() {
  document.documentElement.lang = LOCALE.toLowerCase().split('-')[0] === uiLang() ? LOCALE : uiLang();
  document.title = t('page.title');
  for (const e of document.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
  for (const e of document.querySelectorAll('[data-t-label]')) e.setAttribute('aria-label', t(e.dataset.tLabel));
}
