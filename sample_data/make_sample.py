#!/usr/bin/env python3
"""Deterministic generator of small omnichannel retail customer exports.

Writes, next to this script:
    web_orders.csv, pos_tickets.csv, loyalty_members.csv, app_users.jsonl,
    app_orders.jsonl, call_centre.csv, messaging_contacts.csv,
    truth.csv (source,record_id,person_id for every valid record) and
    BAD_ROWS.md (the deliberately malformed rows and their line numbers).

Standard library only, Python 3.11. Fixed seed: two runs give byte-identical
files. This is a stop-gap until `omni datagen` (a Rust generator) replaces it.

Usage:  python3 make_sample.py
"""
from __future__ import annotations

import csv
import json
import random
import unicodedata
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace

SEED = 20261122
N_PERSONS = 400
OUT = Path(__file__).resolve().parent
# Generated local days stay inside [D_LO, D_HI] so that local times, UTC times
# and epoch seconds all fall between 2024-01-01 and 2026-10-31.
D_LO = date(2024, 1, 2)
D_HI = date(2026, 10, 30)
END_DT = datetime.combine(D_HI, time(23, 59, 59))

rng = random.Random(SEED)

# --------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------
ES_FIRST_F = [
    "María", "Lucía", "Carmen", "Ana", "Laura", "Marta", "Sofía", "Paula",
    "Elena", "Isabel", "Cristina", "Raquel", "Pilar", "Beatriz", "Inés",
    "Nuria", "Rocío", "Patricia", "Silvia", "Mónica", "Alba", "Irene",
    "Dolores", "Concepción", "Montserrat", "Begoña", "Ainhoa", "Noelia",
    "Verónica", "Ángela", "María José", "María del Carmen", "Ana Belén",
    "Guadalupe", "Lorena", "Sara", "Julia", "Teresa", "Rosa", "Yolanda",
]
ES_FIRST_M = [
    "José", "Antonio", "Manuel", "Francisco", "Javier", "David", "Daniel",
    "Carlos", "Jesús", "Alejandro", "Miguel", "Rafael", "Pablo", "Sergio",
    "Fernando", "Jorge", "Luis", "Alberto", "Álvaro", "Adrián", "Iván",
    "Raúl", "Rubén", "Óscar", "Andrés", "Ignacio", "Joaquín", "Ramón",
    "Íñigo", "Aitor", "Mikel", "Jordi", "Xavier", "José Luis", "Juan Carlos",
    "Juan", "Enrique", "Víctor", "Hugo", "Martín",
]
# Ordered roughly by frequency; weights decay with rank.
ES_SURNAMES = [
    "García", "Rodríguez", "González", "Fernández", "López", "Martínez",
    "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández",
    "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Alonso", "Gutiérrez",
    "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Ramírez",
    "Serrano", "Blanco", "Molina", "Morales", "Suárez", "Ortega", "Delgado",
    "Castro", "Ortiz", "Rubio", "Marín", "Sanz", "Núñez", "Iglesias",
    "Medina", "Garrido", "Cortés", "Castillo", "Santos", "Lozano", "Guerrero",
    "Cano", "Prieto", "Méndez", "Cruz", "Calvo", "Gallego", "Vidal", "León",
    "Márquez", "Herrera", "Peña", "Flores", "Cabrera", "Campos", "Vega",
    "Fuentes", "Carrasco", "Díez", "Caballero", "Reyes", "Nieto", "Aguilar",
    "Pascual", "Herrero", "Lorenzo", "Montero", "Hidalgo", "Ibáñez",
    "Ferrer", "Durán", "Benítez", "Mora", "Vicente", "Vargas", "Arias",
    "Carmona", "Crespo", "Román", "Pastor", "Soto", "Sáez", "Velasco",
    "Soler", "Parra", "Esteban", "Bravo", "Gallardo", "Puig", "Etxeberria",
    "Urrutia", "Aguirre", "Martí", "Peláez", "Zubizarreta", "Castaño",
]
EN_FIRST_F = [
    "Emma", "Olivia", "Sophie", "Charlotte", "Emily", "Jessica", "Hannah",
    "Amy", "Sarah", "Rebecca", "Lucy", "Chloe", "Katherine", "Elizabeth",
    "Margaret", "Rachel", "Laura", "Grace", "Megan", "Zoe",
]
EN_FIRST_M = [
    "James", "Oliver", "Thomas", "William", "Jack", "Harry", "George",
    "Daniel", "Matthew", "Samuel", "Joseph", "Benjamin", "Robert", "Michael",
    "David", "Christopher", "Andrew", "Luke", "Ryan", "Connor",
]
EN_SURNAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson",
    "Davies", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White",
    "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Patel", "Khan",
    "O'Brien", "Murphy", "Hughes", "Edwards", "Lewis", "Harris", "Cooper",
    "Ward",
]
NICKNAMES = {
    "María": ["Mari", "Maria"], "José": ["Pepe"], "Francisco": ["Paco", "Fran"],
    "Javier": ["Javi"], "Alejandro": ["Álex", "Alex"], "Guadalupe": ["Lupe"],
    "Dolores": ["Lola"], "Concepción": ["Concha"], "Jesús": ["Chus"],
    "Manuel": ["Manolo"], "Ignacio": ["Nacho"], "Cristina": ["Cris"],
    "Daniel": ["Dani", "Dan"], "Rafael": ["Rafa"], "Antonio": ["Toni"],
    "Fernando": ["Fer"], "Beatriz": ["Bea"], "Patricia": ["Patri"],
    "Montserrat": ["Montse"], "Elizabeth": ["Liz", "Beth"], "William": ["Will"],
    "Robert": ["Rob", "Bob"], "James": ["Jim", "Jamie"],
    "Margaret": ["Maggie"], "Katherine": ["Kate", "Katie"], "Thomas": ["Tom"],
    "Christopher": ["Chris"], "Samuel": ["Sam"], "Benjamin": ["Ben"],
    "María José": ["Majo", "Mª José"], "María del Carmen": ["Mari Carmen"],
    "José Luis": ["Joselu"], "Juan Carlos": ["Juanca"], "Rebecca": ["Becky"],
}
EMOJIS = ["🌸", "✨", "🌞", "⚽", "💙", "🙂", "🌻", "🐾", "🎶", "❤️", "🌊", "☕"]

ES_CITIES = ["Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Málaga", "Zaragoza"]
ES_CITY_W = [32, 24, 12, 10, 7, 8, 7]
GB_CITIES = ["London", "Manchester", "Leeds"]
GB_CITY_W = [55, 25, 20]

STREETS = {
    "Madrid": ["Calle de Alcalá", "Calle Mayor", "Gran Vía", "Calle de Serrano",
               "Paseo de la Castellana", "Calle de Bravo Murillo",
               "Calle de Arturo Soria", "Calle de Toledo", "Avenida de América",
               "Calle de Embajadores", "Calle de Goya", "Calle de la Princesa"],
    "Barcelona": ["Carrer de Mallorca", "Carrer d'Aragó", "Passeig de Gràcia",
                  "Carrer de Sants", "Avinguda Diagonal", "Carrer de Balmes",
                  "Gran Via de les Corts Catalanes", "Carrer de Provença"],
    "Valencia": ["Calle de Colón", "Avenida del Puerto", "Calle de Cuba",
                 "Gran Vía Marqués del Turia", "Avenida de Blasco Ibáñez",
                 "Calle de Sueca"],
    "Sevilla": ["Calle Sierpes", "Avenida de la Constitución", "Calle Feria",
                "Calle Asunción", "Avenida de Eduardo Dato", "Calle San Jacinto"],
    "Bilbao": ["Gran Vía de Don Diego López de Haro", "Calle Licenciado Poza",
               "Alameda de Urquijo", "Calle Autonomía", "Calle Iparraguirre"],
    "Málaga": ["Calle Larios", "Avenida de Andalucía", "Calle Carretería",
               "Paseo Marítimo Pablo Ruiz Picasso", "Calle Armengual de la Mota"],
    "Zaragoza": ["Paseo de la Independencia", "Calle Alfonso I", "Avenida de Goya",
                 "Calle de San Vicente de Paúl", "Paseo de Sagasta"],
    "London": ["Baker Street", "Camden Road", "Holloway Road", "Brixton Road",
               "Kingsland Road", "Old Kent Road", "Cromwell Road",
               "Fulham Palace Road"],
    "Manchester": ["Oxford Road", "Wilmslow Road", "Deansgate", "Stockport Road",
                   "Burton Road", "Palatine Road"],
    "Leeds": ["Headingley Lane", "Kirkstall Road", "Otley Road", "Roundhay Road",
              "Harehills Lane", "Woodhouse Lane"],
}
ES_POSTCODE = {  # (province prefix, max district)
    "Madrid": ("28", 55), "Barcelona": ("08", 42), "Valencia": ("46", 26),
    "Sevilla": ("41", 20), "Bilbao": ("48", 15), "Málaga": ("29", 18),
    "Zaragoza": ("50", 18),
}
GB_DISTRICTS = {
    "London": ["E1", "E8", "N1", "N7", "NW1", "NW5", "SE1", "SE15", "SW2",
               "SW9", "W2", "W12"],
    "Manchester": [f"M{i}" for i in range(1, 22)],
    "Leeds": [f"LS{i}" for i in range(1, 18)],
}
LANDLINE_PREFIX = {
    "Madrid": "91", "Barcelona": "93", "Valencia": "96", "Sevilla": "954",
    "Málaga": "952", "Bilbao": "944", "Zaragoza": "976", "Manchester": "161",
    "Leeds": "113",
}
STORES = {
    "Madrid": ["MAD-01", "MAD-02", "MAD-03"], "Barcelona": ["BCN-01", "BCN-02"],
    "Valencia": ["VAL-01"], "Sevilla": ["SEV-01"], "Bilbao": ["BIO-01"],
    "Málaga": ["AGP-01"], "Zaragoza": ["ZAZ-01"], "London": ["LON-01", "LON-02"],
    "Manchester": ["MAN-01"], "Leeds": ["LDS-01"],
}
STORE_COUNTRY = {s: ("GB" if c in GB_CITIES else "ES")
                 for c, ss in STORES.items() for s in ss}
ALL_STORES = [s for ss in STORES.values() for s in ss]
CURRENCY = {"ES": "EUR", "GB": "GBP"}

FREE_DOMAINS = {
    "ES": [("gmail.com", 40), ("hotmail.com", 10), ("hotmail.es", 8),
           ("yahoo.es", 10), ("outlook.es", 8), ("outlook.com", 7)],
    "GB": [("gmail.com", 40), ("hotmail.co.uk", 10), ("hotmail.com", 8),
           ("yahoo.co.uk", 10), ("outlook.com", 15)],
}
CUSTOM_DOMAINS = {
    "ES": ["telefonica.net", "movistar.es", "ono.com", "icloud.com",
           "protonmail.com"],
    "GB": ["btinternet.com", "sky.com", "icloud.com", "virginmedia.com",
           "talktalk.net"],
}
WORK_DOMAINS = {
    "ES": ["construcciones-levante.es", "grupoalborada.es", "asesoria-norte.com",
           "clinicadentalsol.es"],
    "GB": ["northbridge-logistics.co.uk", "harlowandpartners.co.uk",
           "greenfield-solicitors.co.uk"],
}
GMAIL_TAGS = ["shop", "tienda", "compras", "ofertas", "web", "promo"]

PHONE_STYLE_W = {
    "web": {"intl_sp": 20, "00": 8, "dash": 10, "plain": 30, "e164": 15,
            "pairs": 7, "paren": 5, "national": 15},
    "loyalty": {"plain": 50, "intl_sp": 15, "pairs": 15, "dash": 10,
                "e164": 5, "national": 10, "paren": 3},
    "app": {"e164": 80, "intl_sp": 10, "plain": 10},
    "whatsapp": {"e164": 60, "wa": 40},
    "cc": {"00": 35, "plain": 40, "e164": 15, "intl_sp": 10, "national": 10},
    "pos": {"plain": 60, "dash": 20, "pairs": 10, "intl_sp": 5, "national": 10},
}
WEB_HOUR_W = [2, 1, 1, .5, .5, .5, 1, 2, 3, 4, 5, 5, 6, 6, 5, 5, 5, 6, 7, 8,
              9, 9, 7, 4]

# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def fold(s: str) -> str:
    """Drop accents and tildes (José -> Jose, Núñez -> Nunez)."""
    return "".join(c for c in unicodedata.normalize("NFD", s)
                   if unicodedata.category(c) != "Mn")


def pick_w(pairs):
    items = [k for k, _ in pairs]
    weights = [w for _, w in pairs]
    return rng.choices(items, weights=weights)[0]


def rand_day(lo: date, hi: date) -> date:
    if hi < lo:
        hi = lo
    return lo + timedelta(days=rng.randint(0, (hi - lo).days))


def last_sunday(year: int, month: int) -> date:
    d = (date(year, month + 1, 1) if month < 12 else date(year + 1, 1, 1)) - timedelta(days=1)
    while d.weekday() != 6:
        d -= timedelta(days=1)
    return d


def utc_offset(local: datetime, country: str) -> int:
    """Hours ahead of UTC for Europe/Madrid (ES) or Europe/London (GB)."""
    base = 1 if country == "ES" else 0
    guess = local - timedelta(hours=base)
    start = datetime.combine(last_sunday(guess.year, 3), time(1))
    end = datetime.combine(last_sunday(guess.year, 10), time(1))
    return base + (1 if start <= guess < end else 0)


def to_utc(local: datetime, country: str) -> datetime:
    return local - timedelta(hours=utc_offset(local, country))


def iso_offset(local: datetime, country: str) -> str:
    return f"{local:%Y-%m-%dT%H:%M:%S}+{utc_offset(local, country):02d}:00"


def epoch(utc: datetime) -> int:
    return int((utc - datetime(1970, 1, 1)).total_seconds())


def local_dt(day: date, hour_lo=0, hour_hi=23, hour_w=None) -> datetime:
    if hour_w:
        hour = rng.choices(range(24), weights=hour_w)[0]
    else:
        hour = rng.randint(hour_lo, hour_hi)
    return datetime.combine(day, time(hour, rng.randint(0, 59), rng.randint(0, 59)))


def later(dt: datetime, min_days: int, max_days: int) -> datetime:
    out = dt + timedelta(days=rng.randint(min_days, max_days),
                         seconds=rng.randint(0, 36000))
    return min(out, END_DT - timedelta(seconds=rng.randint(60, 20000)))


def money_cents(mu: float, sigma: float, lo=195, hi=99000) -> int:
    c = int(round(rng.lognormvariate(mu, sigma) * 100))
    c = max(lo, min(hi, c))
    r = rng.random()
    if r < 0.35:
        c = (c // 100) * 100 + 99 if c > 100 else c
    elif r < 0.75:
        c -= c % 5
    return c


def fmt_dot(c: int) -> str:
    sign = "-" if c < 0 else ""
    c = abs(c)
    return f"{sign}{c // 100}.{c % 100:02d}"


def fmt_comma(c: int) -> str:
    """Spanish decimal comma, '.' thousands separator: 1.234,50"""
    sign = "-" if c < 0 else ""
    s = f"{abs(c) // 100:,}".replace(",", ".")
    return f"{sign}{s},{abs(c) % 100:02d}"


# --------------------------------------------------------------------------
# Identifier allocation (all unique)
# --------------------------------------------------------------------------
_used_phones: dict[str, bool] = {}
_used_emails: dict[str, bool] = {}
_used_ids: dict[str, bool] = {}


def digits(n: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(n))


def new_mobile(country: str) -> str:
    while True:
        if country == "ES":
            if rng.random() < 0.8:
                num = "6" + digits(8)
            else:
                num = "7" + rng.choice("1234") + digits(7)
        else:
            num = "7" + rng.choice("45789") + digits(8)
        if num not in _used_phones:
            _used_phones[num] = True
            return num


def new_landline(city: str) -> str:
    while True:
        if city == "London":
            num = "20" + rng.choice("378") + digits(7)
        elif city in ("Manchester", "Leeds"):
            num = LANDLINE_PREFIX[city] + rng.choice("2345") + digits(6)
        else:
            pre = LANDLINE_PREFIX[city]
            num = pre + rng.choice("234567") + digits(9 - len(pre) - 1)
        if num not in _used_phones:
            _used_phones[num] = True
            return num


def new_id(prefix: str, ndig: int) -> str:
    while True:
        v = f"{prefix}{rng.randint(10 ** (ndig - 1), 10 ** ndig - 1)}"
        if v not in _used_ids:
            _used_ids[v] = True
            return v


def new_card() -> str:
    while True:
        body = "2400" + digits(8)
        s = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
        card = body + str((10 - s % 10) % 10)
        if card not in _used_ids:
            _used_ids[card] = True
            return card


def new_device() -> str:
    h = f"{rng.getrandbits(128):032x}"
    h = h[:12] + "4" + h[13:16] + rng.choice("89ab") + h[17:]
    u = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return u.upper() if rng.random() < 0.5 else u  # iOS IDFV vs Android


def email_key(e: str) -> str:
    local, dom = e.lower().split("@")
    local = local.split("+")[0]
    if dom == "gmail.com":
        local = local.replace(".", "")
    return f"{local}@{dom}"


def register_email(candidate_fn) -> str:
    for attempt in range(50):
        e = candidate_fn(attempt)
        k = email_key(e)
        if k not in _used_emails:
            _used_emails[k] = True
            return e
    raise RuntimeError("could not allocate email")


def slug(s: str) -> str:
    return fold(s).lower().replace("'", "").replace(" ", "")


def make_email(p, work=False) -> str:
    f_parts = fold(p.first).lower().split()
    f = f_parts[0] if (len(f_parts) == 1 or rng.random() < 0.6) else "".join(
        x for x in f_parts if x != "del")
    a = slug(p.s1)
    b = slug(p.s2) if p.s2 else ""
    yy = f"{p.birth.year % 100:02d}"
    if work:
        dom = rng.choice(WORK_DOMAINS[p.country])
        return register_email(lambda n: f"{f}.{a}{n or ''}@{dom}"
                              if rng.random() < 0.7 else f"{f[0]}{a}{n or ''}@{dom}")
    r = rng.random()
    if r < 0.83:
        dom = pick_w(FREE_DOMAINS[p.country])
    else:
        dom = rng.choice(CUSTOM_DOMAINS[p.country])
    patterns = [f"{f}.{a}", f"{f}{a}", f"{f[0]}{a}{yy}", f"{f}{a}{p.birth.year}",
                f"{a}.{f}", f"{f}_{a}{rng.randint(1, 99)}", f"{f}.{a}{yy}",
                f"{f[0]}.{a}"]
    if b:
        patterns += [f"{f}.{a}.{b}", f"{f}{a}{b}", f"{f[0]}{a}{b[0]}"]
    base = rng.choice(patterns)
    return register_email(lambda n: f"{base}{'' if n == 0 else rng.randint(2, 999)}@{dom}")


def noisy_email(e: str, p_noise: float) -> str:
    if not e or rng.random() >= p_noise:
        return e
    local, dom = e.split("@")
    kind = rng.choices(["case", "gmail", "space", "upper"], [40, 35, 20, 5])[0]
    if kind == "gmail" and dom != "gmail.com":
        kind = "case"
    if kind == "upper":
        return e.upper()
    if kind == "space":
        return rng.choice([" " + e, e + " ", " " + e + " ", "  " + e])
    if kind == "case":
        if "." in local:
            local2 = ".".join(x[:1].upper() + x[1:] for x in local.split("."))
        else:
            local2 = local[:1].upper() + local[1:]
        return f"{local2}@{dom[:1].upper() + dom[1:]}"
    # gmail: dots are ignored by Gmail, +tag routes to the same inbox
    if "." in local and rng.random() < 0.6:
        local2 = local.replace(".", "")
    else:
        spots = [i for i in range(1, len(local)) if local[i - 1].isalpha() and local[i].isalpha()]
        pos = rng.choice(spots) if spots else 0
        local2 = local[:pos] + "." + local[pos:] if pos else local
    if rng.random() < 0.55:
        local2 += "+" + rng.choice(GMAIL_TAGS)
    return f"{local2}@{dom}"


def fmt_phone(num: str, country: str, style: str) -> str:
    """num is the national significant number (ES 9 digits, GB 10 digits)."""
    if not num:
        return ""
    cc = "34" if country == "ES" else "44"
    if country == "ES":
        g3 = f"{num[:3]} {num[3:6]} {num[6:]}"
        return {
            "intl_sp": f"+34 {g3}", "00": f"0034{num}", "dash": f"{num[:3]}-{num[3:6]}-{num[6:]}",
            "plain": num, "e164": f"+34{num}", "pairs": f"{num[:3]} {num[3:5]} {num[5:7]} {num[7:]}",
            "paren": f"(+34) {g3}", "national": num, "wa": f"34{num}",
        }[style]
    if num.startswith("7"):          # UK mobile 07xxx xxxxxx
        grp = f"{num[:4]} {num[4:]}"
    elif num.startswith("20"):       # London 020 xxxx xxxx
        grp = f"{num[:2]} {num[2:6]} {num[6:]}"
    else:                            # 0161 / 0113 xxx xxxx
        grp = f"{num[:3]} {num[3:6]} {num[6:]}"
    return {
        "intl_sp": f"+44 {grp}", "00": f"00{cc}{num}", "dash": f"0{grp.replace(' ', '-', 1)}",
        "plain": f"0{num}", "e164": f"+44{num}", "pairs": f"0{grp}", "paren": f"(+44) {grp}",
        "national": f"0{grp}", "wa": f"44{num}",
    }[style]


def phone_for(num: str, country: str, channel: str) -> str:
    w = PHONE_STYLE_W[channel]
    return fmt_phone(num, country, rng.choices(list(w), weights=list(w.values()))[0])


# --------------------------------------------------------------------------
# Persons
# --------------------------------------------------------------------------
ES_SUR_W = [1 / (i + 4) for i in range(len(ES_SURNAMES))]
EN_SUR_W = [1 / (i + 4) for i in range(len(EN_SURNAMES))]


def es_surname() -> str:
    return rng.choices(ES_SURNAMES, weights=ES_SUR_W)[0]


def set_address(p) -> None:
    p.street = rng.choice(STREETS[p.city])
    p.num = rng.randint(1, 180)
    if p.country == "ES":
        pre, mx = ES_POSTCODE[p.city]
        p.postcode = f"{pre}{rng.randint(1, mx):03d}"
        if rng.random() < 0.75:
            door = rng.choice(["A", "B", "C", "D", "izda.", "dcha."])
            p.flat = f"{rng.randint(1, 9)}º {door}"
            p.address = f"{p.street}, {p.num}, {p.flat}"
        else:
            p.flat = None
            p.address = f"{p.street}, {p.num}"
    else:
        p.postcode = (f"{rng.choice(GB_DISTRICTS[p.city])} {rng.randint(1, 9)}"
                      f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}")
        if rng.random() < 0.3:
            p.flat = str(rng.randint(1, 24))
            p.address = f"Flat {p.flat}, {p.num} {p.street}"
        else:
            p.flat = None
            p.address = f"{p.num} {p.street}"


def new_person(idx: int | None):
    p = SimpleNamespace()
    p.pid = f"P{idx:04d}" if idx is not None else None
    p.country = "GB" if rng.random() < 0.25 else "ES"
    p.sex = rng.choice("FM")
    if p.country == "ES":
        p.first = rng.choice(ES_FIRST_F if p.sex == "F" else ES_FIRST_M)
        p.s1 = es_surname()
        p.s2 = es_surname() if rng.random() < 0.93 else None
        p.city = rng.choices(ES_CITIES, weights=ES_CITY_W)[0]
    else:
        p.first = rng.choice(EN_FIRST_F if p.sex == "F" else EN_FIRST_M)
        p.s1 = rng.choices(EN_SURNAMES, weights=EN_SUR_W)[0]
        p.s2 = None
        p.city = rng.choices(GB_CITIES, weights=GB_CITY_W)[0]
    p.birth = date(1946, 1, 1) + timedelta(days=rng.randint(0, (date(2006, 10, 1) - date(1946, 1, 1)).days))
    set_address(p)
    p.mobile = new_mobile(p.country)
    p.landline = new_landline(p.city) if rng.random() < 0.22 else None
    p.household = None
    p.family_email = None
    p.family_owner = False
    p.namesake = False
    p.web_orders = []
    return p


persons = [new_person(i + 1) for i in range(N_PERSONS)]

# Hard negative 1: namesakes (same full name, same city, different persons).
NAMESAKES = [
    ("ES", "F", "María", "García", "López", "Madrid"),
    ("ES", "M", "José", "Martínez", "Sánchez", "Sevilla"),
    ("ES", "F", "Laura", "Fernández", "Ruiz", "Barcelona"),
    ("GB", "M", "James", "Smith", None, "London"),
]
namesake_pairs = []
for country, sex, first, s1, s2, city in NAMESAKES:
    cands = [p for p in persons if p.country == country and not p.namesake]
    pair = rng.sample(cands, 2)
    for p in pair:
        p.namesake = True
        p.sex, p.first, p.s1, p.s2, p.city = sex, first, s1, s2, city
        set_address(p)
        if p.landline:
            p.landline = new_landline(city)
    namesake_pairs.append(pair)

# Hard negative 2: households (shared address + landline, sometimes family email).
households = []
for h in range(10):
    country = "GB" if h in (3, 7) else "ES"
    cands = [p for p in persons if p.country == country and not p.namesake and p.household is None]
    head, member = rng.sample(cands, 2)
    member.city = head.city
    for attr in ("street", "num", "flat", "postcode", "address"):
        setattr(member, attr, getattr(head, attr))
    head.landline = head.landline or new_landline(head.city)
    member.landline = head.landline
    rel = rng.choice(["couple", "parent_child"])
    if rel == "parent_child":
        member.s1 = head.s1
        yrs = rng.randint(22, 34)
        member.birth = min(date(head.birth.year + yrs, head.birth.month, 1) + timedelta(days=rng.randint(0, 27)),
                           date(2006, 9, 30))
    elif country == "GB" and rng.random() < 0.7:
        member.s1 = head.s1
    head.household = member.household = h
    households.append((head, member, rel))

# Emails (after name changes, so they are derived from the final names).
for p in persons:
    p.email = make_email(p)
    p.alt_email = make_email(p, work=True) if rng.random() < 0.08 else None
for h, (head, member, rel) in enumerate(households):
    if h % 2 == 0:  # 5 of 10 households share a family mailbox
        if head.country == "ES":
            a, b = slug(head.s1), ("" if member.s1 == head.s1 else slug(member.s1))
            fam = register_email(lambda n: rng.choice([f"familia{a}{b}", f"{a}{b}casa", f"casa.{a}" + (f".{b}" if b else "")])
                                 + f"{n or ''}@" + rng.choice(["gmail.com", "hotmail.com", "telefonica.net"]))
        else:
            a = slug(head.s1)
            fam = register_email(lambda n: rng.choice([f"the{a}s", f"{a}family", f"{a}.household"])
                                 + f"{n or ''}@" + rng.choice(["btinternet.com", "gmail.com", "sky.com"]))
        head.family_email = member.family_email = fam
        head.family_owner = True

# Programme memberships and channel presence.
for p in persons:
    p.card = new_card() if rng.random() < 0.62 else None
    p.signup = D_LO + timedelta(days=int((D_HI - D_LO).days * 0.9 * rng.random() ** 1.6)) if p.card else None
    p.app_id = new_id("A", 6) if rng.random() < 0.4 else None
    p.device = new_device() if p.app_id else None
    p.home_store = rng.choice(STORES[p.city])
    p.in_web = rng.random() < 0.5
    p.in_pos = rng.random() < (0.9 if p.card else 0.35)
    p.in_cc = rng.random() < 0.35
    p.in_msg = rng.random() < 0.58
    if p.namesake:
        p.in_web = p.in_cc = True
    if p.household is not None:
        p.in_web = p.in_cc = True
    if not (p.card or p.app_id or p.in_web or p.in_pos or p.in_cc or p.in_msg):
        p.in_web = True


def pick_email(p, allow_family=True) -> str:
    if p.family_email and allow_family and rng.random() < 0.6:
        return p.family_email
    if p.alt_email and rng.random() < 0.3:
        return p.alt_email
    return p.email


def variant_name(s: str, p_fold: float, p_upper: float, p_lower: float = 0.0) -> str:
    if rng.random() < p_fold:
        s = fold(s)
    r = rng.random()
    if r < p_upper:
        s = s.upper()
    elif r < p_upper + p_lower:
        s = s.lower()
    return s


def city_variant(city: str, p: float) -> str:
    if rng.random() >= p:
        return city
    opts = [city.upper(), fold(city)]
    if city == "Valencia":
        opts.append("València")
    if city == "Sevilla":
        opts.append("Seville" if rng.random() < 0.3 else "SEVILLA")
    return rng.choice(opts)


def postcode_variant(p, prob: float) -> str:
    pc = p.postcode
    if rng.random() >= prob:
        return pc
    if p.country == "GB":
        return rng.choice([pc.lower(), pc.replace(" ", "")])
    if pc.startswith("0"):
        return pc[1:]  # spreadsheet ate the leading zero
    return pc


ABBREV_ES = [("Calle de la ", "C/ la "), ("Calle de ", "C/ "), ("Calle ", "C/ "),
             ("Avenida de ", "Avda. "), ("Avenida del ", "Avda. del "), ("Avenida ", "Avda. "),
             ("Paseo de la ", "Pº "), ("Paseo de ", "Pº "), ("Carrer de ", "C/ "),
             ("Avinguda ", "Av. ")]
ABBREV_GB = [(" Street", " St"), (" Road", " Rd"), (" Lane", " Ln")]


def address_variant(p) -> str:
    r = rng.random()
    if r < 0.6:
        return p.address
    if p.country == "ES":
        if r < 0.8:
            street = p.street
            for a, b in ABBREV_ES:
                if street.startswith(a):
                    street = b + street[len(a):]
                    break
            flat = (", " + p.flat.replace("º ", "º")) if p.flat else ""
            return f"{street} {p.num}{flat}"
        if r < 0.9:
            return fold(p.address).upper()
        return f"{p.street}, {p.num}"
    street = p.street
    for a, b in ABBREV_GB:
        street = street.replace(a, b)
    if r < 0.85:
        return (f"Flat {p.flat} {p.num} {street}" if p.flat else f"{p.num} {street}")
    return p.address.upper()


def other_address(p):
    """A gift / workplace address: different street, same city."""
    q = SimpleNamespace(country=p.country, city=p.city)
    set_address(q)
    return q


# --------------------------------------------------------------------------
# Web orders
# --------------------------------------------------------------------------
def web_name(p) -> str:
    s2 = p.s2 if (p.s2 and rng.random() > 0.2) else None
    name = " ".join(x for x in (p.first, p.s1, s2) if x)
    return variant_name(name, 0.12, 0.05, 0.03)


def make_web_order(p):
    o = SimpleNamespace(kind="web", person=p, bad=None, refund_of=None, refunded=False, store_returned=False)
    o.dt = local_dt(rand_day(D_LO, D_HI), hour_w=WEB_HOUR_W)
    o.country = p.country
    o.name = web_name(p)
    o.email = noisy_email(pick_email(p), 0.3)
    r = rng.random()
    if r < 0.8:
        o.phone = phone_for(p.mobile, p.country, "web")
    elif r < 0.9 and p.landline:
        o.phone = phone_for(p.landline, p.country, "web")
    else:
        o.phone = ""
    if rng.random() < 0.06:
        q = other_address(p)
        o.address, o.postcode, o.city = q.address, q.postcode, q.city
    else:
        o.address = address_variant(p)
        o.postcode = postcode_variant(p, 0.05)
        o.city = city_variant(p.city, 0.12)
    o.cents = money_cents(4.0, 0.7, lo=595, hi=90000)
    return o


web = []
for p in persons:
    if not p.in_web:
        continue
    for _ in range(rng.choices(range(1, 7), weights=[25, 24, 19, 14, 10, 8])[0]):
        o = make_web_order(p)
        web.append(o)
        p.web_orders.append(o)
for o in rng.sample(web, 3):
    o.cents = rng.randint(100000, 180000)
# Family mailbox: make sure both members of such a household order with it at least once.
for head, member, rel in households:
    if head.family_email:
        for p in (head, member):
            p.web_orders[0].email = noisy_email(p.family_email, 0.3)

for o in list(web):
    if rng.random() < 0.04 and o.dt.date() <= D_HI - timedelta(days=3):
        r = SimpleNamespace(**vars(o))
        r.refund_of = o
        r.dt = later(o.dt, 1, 30)
        r.cents = -o.cents if rng.random() < 0.8 else -(o.cents * rng.randint(20, 80) // 100)
        o.refunded = True
        web.append(r)

# --------------------------------------------------------------------------
# POS tickets
# --------------------------------------------------------------------------


def pos_store(p) -> str:
    r = rng.random()
    if r < 0.8:
        return p.home_store
    if r < 0.92:
        return rng.choice(STORES[p.city])
    return rng.choice([s for s in ALL_STORES if STORE_COUNTRY[s] == p.country])


def pos_ident(t, p, force_card=False):
    card_ok = bool(p.card) and t.dt.date() >= p.signup
    t.card = p.card if card_ok and (force_card or rng.random() < 0.62) else ""
    t.email = noisy_email(pick_email(p), 0.25) if rng.random() < 0.2 else ""
    t.tel = phone_for(p.mobile, p.country, "pos") if rng.random() < 0.1 else ""
    if not (t.card or t.email or t.tel):
        if card_ok and rng.random() < 0.4:
            t.card = p.card
        elif rng.random() < 0.7:
            t.email = noisy_email(pick_email(p), 0.25)
        else:
            t.tel = phone_for(p.mobile, p.country, "pos")


def new_ticket(p, dt, store):
    t = SimpleNamespace(kind="pos", person=p, bad=None, dt=dt, store=store, ref=None)
    t.currency = CURRENCY[STORE_COUNTRY[store]]
    return t


pos = []
for p in persons:
    if not p.in_pos:
        continue
    for _ in range(rng.choices(range(1, 7), weights=[22, 22, 18, 15, 12, 11])[0]):
        t = new_ticket(p, local_dt(rand_day(D_LO, D_HI), 10, 21), pos_store(p))
        pos_ident(t, p)
        t.cents = money_cents(3.4, 0.8)
        pos.append(t)
purchases = list(pos)
for t in rng.sample(purchases, 7):
    t.cents = rng.randint(100000, 260000)

# Returns of earlier tickets, in store.
for t in purchases:
    if rng.random() < 0.05 and t.dt.date() <= D_HI - timedelta(days=2):
        p = t.person
        r = new_ticket(p, later(t.dt, 1, 30), t.store if rng.random() < 0.8 else pos_store(p))
        r.currency = t.currency
        r.dt = r.dt.replace(hour=rng.randint(10, 21))
        r.card = t.card if (t.card and rng.random() < 0.9) else ""
        r.email = t.email if (t.email and (not r.card or rng.random() < 0.3)) else ""
        r.tel = t.tel if (t.tel and not (r.card or r.email)) else ""
        if not (r.card or r.email or r.tel):
            pos_ident(r, p, force_card=True)
        r.cents = -t.cents if rng.random() < 0.75 else -(t.cents * rng.randint(30, 70) // 100)
        r.ref = t
        pos.append(r)

# Store returns of web orders (~10): same person's card or e-mail on the ticket.
web_return_cands = [o for o in web if o.refund_of is None and not o.refunded
                    and o.dt.date() <= D_HI - timedelta(days=10)]
for o in rng.sample(web_return_cands, 10):
    p = o.person
    o.store_returned = True
    r = new_ticket(p, local_dt(rand_day(o.dt.date() + timedelta(days=2),
                                        min(D_HI, o.dt.date() + timedelta(days=40))), 10, 21),
                   p.home_store)
    r.currency = CURRENCY[o.country]
    card_ok = bool(p.card) and r.dt.date() >= p.signup
    r.card = p.card if card_ok else ""
    r.email = noisy_email(pick_email(p), 0.2) if (not r.card or rng.random() < 0.4) else ""
    r.tel = ""
    r.cents = -o.cents
    r.ref = o
    pos.append(r)

# Generic values typed by store staff, always on carded tickets of distinct persons.
carded = [t for t in purchases if t.card]
seen = {}
generic_email_t = []
for t in rng.sample(carded, len(carded)):
    if t.person.pid not in seen and len(generic_email_t) < 15:
        seen[t.person.pid] = True
        generic_email_t.append(t)
        t.email = "test@test.com"
seen = {}
generic_tel_t = []
for t in rng.sample(carded, len(carded)):
    if t.person.pid not in seen and t not in generic_email_t and len(generic_tel_t) < 10:
        seen[t.person.pid] = True
        generic_tel_t.append(t)
        t.tel = "000000000"

# Anonymous tickets: ~25% of all tickets.
n_anon = round(len(pos) / 3)
for _ in range(n_anon):
    store = rng.choice(persons).home_store
    t = new_ticket(None, local_dt(rand_day(D_LO, D_HI), 10, 21), store)
    t.card = t.email = t.tel = ""
    t.cents = money_cents(3.2, 0.8)
    pos.append(t)

# --------------------------------------------------------------------------
# Loyalty members
# --------------------------------------------------------------------------


def loyalty_row(p):
    m = SimpleNamespace(kind="loyalty", person=p, bad=None, card=p.card)
    m.first = variant_name(p.first, 0.1, 0.15)
    m.last = variant_name(" ".join(x for x in (p.s1, p.s2) if x), 0.1, 0.15)
    m.birth = "" if rng.random() < 0.04 else f"{p.birth:%d/%m/%Y}"
    m.email = "" if rng.random() < 0.12 else noisy_email(pick_email(p), 0.25)
    r = rng.random()
    if r < 0.04:
        m.mobile = ""
    elif r < 0.09 and p.landline:
        m.mobile = phone_for(p.landline, p.country, "loyalty")
    else:
        m.mobile = phone_for(p.mobile, p.country, "loyalty")
    m.postcode = "" if rng.random() < 0.04 else postcode_variant(p, 0.1)
    m.city = city_variant(p.city, 0.15)
    m.signup = p.signup
    m.accepts = rng.choices(["sí", "no", "si"], weights=[55, 38, 7])[0]
    return m


loyalty = [loyalty_row(p) for p in persons if p.card]
loyalty.sort(key=lambda m: m.signup)

# --------------------------------------------------------------------------
# App users and app orders
# --------------------------------------------------------------------------
app_users = []
app_orders = []
for p in persons:
    if not p.app_id:
        continue
    created = local_dt(rand_day(D_LO, D_HI - timedelta(days=30)), hour_w=WEB_HOUR_W)
    u = SimpleNamespace(kind="app_user", person=p, bad=None, created=created)
    user = {"account_id": p.app_id}
    user["device_id"] = None if rng.random() < 0.05 else p.device
    r = rng.random()
    if r < 0.88:
        user["email"] = noisy_email(pick_email(p, allow_family=p.family_owner), 0.2)
    elif r < 0.94:
        user["email"] = None
    r = rng.random()
    if r < 0.9:
        last = p.s1 if (p.s2 is None or rng.random() < 0.5) else f"{p.s1} {p.s2}"
        name = {"first": variant_name(p.first, 0.15, 0.03, 0.03)}
        if rng.random() < 0.93:
            name["last"] = variant_name(last, 0.15, 0.03, 0.03)
        user["name"] = name
    elif r < 0.95:
        user["name"] = None
    r = rng.random()
    if r < 0.7:
        user["phone"] = phone_for(p.mobile, p.country, "app")
    elif r < 0.85:
        user["phone"] = None
    obj = {"user": user}
    if rng.random() < 0.95:
        obj["push_opt_in"] = rng.random() < 0.6
    obj["created_at"] = f"{to_utc(created, p.country):%Y-%m-%dT%H:%M:%SZ}"
    u.obj = obj
    app_users.append(u)
    for _ in range(rng.choices(range(1, 6), weights=[25, 25, 20, 15, 15])[0]):
        day = rand_day(created.date() + timedelta(days=1), D_HI)
        dt = local_dt(day, hour_w=WEB_HOUR_W)
        ao = SimpleNamespace(kind="app_order", person=p, bad=None, dt=dt)
        ao.placed_at = epoch(to_utc(dt, p.country))
        ao.cents = money_cents(3.3, 0.6, lo=395)
        ao.currency = CURRENCY[p.country]
        ao.items = rng.choices(range(1, 7), weights=[35, 28, 16, 10, 6, 5])[0]
        app_orders.append(ao)
app_users.sort(key=lambda u: u.created)
app_orders.sort(key=lambda a: a.placed_at)

# --------------------------------------------------------------------------
# Call centre
# --------------------------------------------------------------------------


def caller_name(p) -> str:
    if p.s2 and rng.random() > 0.2:
        last = f"{p.s1} {p.s2}"
    else:
        last = p.s1
    s = f"{last}, {p.first}".upper()
    return fold(s) if rng.random() < 0.35 else s


calls = []
for p in persons:
    if not p.in_cc:
        continue
    n = rng.choices([1, 2, 3, 4], weights=[50, 30, 14, 6])[0]
    if p.household is not None:
        n = max(n, 2)
    for i in range(n):
        c = SimpleNamespace(kind="cc", person=p, bad=None)
        c.dt = local_dt(rand_day(D_LO, D_HI), 9, 20)
        c.name = "" if rng.random() < 0.03 else caller_name(p)
        r = rng.random()
        if p.household is not None and i == 0:
            c.phone = phone_for(p.landline, p.country, "cc")  # shared home line
        elif r < 0.04:
            c.phone = ""
        elif p.landline and r < 0.3:
            c.phone = phone_for(p.landline, p.country, "cc")
        else:
            c.phone = phone_for(p.mobile, p.country, "cc")
        c.email = noisy_email(pick_email(p), 0.3) if rng.random() < 0.35 else ""
        c.reason = rng.choices(["delivery", "return", "complaint", "product question", "account"],
                               weights=[30 if p.in_web or p.app_id else 8, 20, 15, 20,
                                        15 if p.card or p.app_id else 5])[0]
        calls.append(c)
calls.sort(key=lambda c: c.dt)

# --------------------------------------------------------------------------
# Messaging contacts
# --------------------------------------------------------------------------


def profile_name(p) -> str:
    first = p.first.split()[0] if rng.random() < 0.7 else p.first
    r = rng.random()
    if r < 0.35:
        return first
    if r < 0.6:
        nick = rng.choice(NICKNAMES.get(p.first, [first]))
        return f"{nick} {rng.choice(EMOJIS)}"
    if r < 0.7:
        return f"{first} {rng.choice(EMOJIS)}"
    if r < 0.85:
        return f"{first} {p.s1}"
    if r < 0.95:
        return f"{rng.choice(NICKNAMES.get(p.first, [first]))} {p.s1[0]}."
    return ""


msgs = []
for p in persons:
    if not p.in_msg:
        continue
    r = rng.random()
    chans = ["whatsapp"] if r < 0.35 else ["email"] if r < 0.65 else ["whatsapp", "email"]
    for ch in chans:
        m = SimpleNamespace(kind="msg", person=p, bad=None, channel=ch, id=new_id("M", 6))
        if ch == "whatsapp":
            m.phone = phone_for(p.mobile, p.country, "whatsapp")
            m.email = ""
            m.profile = profile_name(p)
        else:
            m.phone = ""
            m.email = noisy_email(pick_email(p, allow_family=p.family_owner), 0.2)
            rr = rng.random()
            m.profile = "" if rr < 0.5 else (f"{p.first} {p.s1}" if rr < 0.8 else p.first)
        m.opt_in = "Y" if rng.random() < 0.75 else "N"
        m.updated = datetime.combine(rand_day(D_LO, D_HI), time(rng.randint(0, 23), rng.randint(0, 59),
                                                                 rng.randint(0, 59)))
        msgs.append(m)
msgs.sort(key=lambda m: m.id)

# --------------------------------------------------------------------------
# Sort, insert bad rows, assign sequential ids
# --------------------------------------------------------------------------
web.sort(key=lambda o: o.dt)
pos.sort(key=lambda t: t.dt)


def insert_bad(rows, bad_rows, fractions):
    """Insert bad rows mid-file; give them a timestamp close to their neighbour."""
    for frac, b in zip(fractions, bad_rows):
        idx = int(len(rows) * frac)
        prev = rows[idx - 1]
        if hasattr(prev, "dt"):
            b.dt = prev.dt + timedelta(minutes=rng.randint(1, 50))
        if hasattr(prev, "signup"):
            b.signup = prev.signup
        if hasattr(prev, "created"):
            b.created = prev.created + timedelta(minutes=rng.randint(1, 50))
            b.obj["created_at"] = f"{to_utc(b.created, 'ES'):%Y-%m-%dT%H:%M:%SZ}"
        rows.insert(idx, b)


web_people = [p for p in persons if p.in_web]
bad_web = []
for kind in ("date", "noid", "extra"):
    b = make_web_order(rng.choice(web_people))
    b.bad = kind
    bad_web.append(b)
insert_bad(web, bad_web, [0.31, 0.52, 0.68])

pos_people = [p for p in persons if p.in_pos]
bad_pos = []
for kind in ("amount", "date"):
    p = rng.choice(pos_people)
    b = new_ticket(p, local_dt(rand_day(D_LO, D_HI), 10, 21), p.home_store)
    pos_ident(b, p)
    b.cents = money_cents(3.4, 0.8)
    b.bad = kind
    bad_pos.append(b)
insert_bad(pos, bad_pos, [0.37, 0.61])

fake = new_person(None)
fake.card = new_card()
fake.signup = rand_day(D_LO, D_HI)
fake.email = f"{slug(fake.first)}.{slug(fake.s1)}@gmail.com"
fake.alt_email = None
bad_loy = loyalty_row(fake)
bad_loy.bad = "birth"
insert_bad(loyalty, [bad_loy], [0.45])

fake2 = new_person(None)
bad_user = SimpleNamespace(kind="app_user", person=None, bad="json")
bad_user.obj = {"user": {"account_id": new_id("A", 6), "device_id": new_device(),
                         "email": f"{slug(fake2.first)}{slug(fake2.s1)}@hotmail.com",
                         "name": {"first": fake2.first, "last": fake2.s1}},
                "push_opt_in": True, "created_at": ""}
insert_bad(app_users, [bad_user], [0.42])

bad_call = SimpleNamespace(kind="cc", person=None, bad="short",
                           dt=local_dt(rand_day(D_LO, D_HI), 9, 20), name=fold(f"{fake2.s1} {es_surname()}").upper())
insert_bad(calls, [bad_call], [0.5])


def assign_seq(rows, prefix, width, start, max_step):
    n = start
    for r in rows:
        n += rng.randint(1, max_step)
        r.id = f"{prefix}{n:0{width}d}"


assign_seq(web, "W", 6, 104200, 12)
for b in web:
    if b.bad == "noid":
        b.id = ""
assign_seq(pos, "T", 7, 3104000, 40)
assign_seq(app_orders, "AO", 6, 200300, 20)
assign_seq(calls, "CC", 6, 500100, 60)

# --------------------------------------------------------------------------
# Write files
# --------------------------------------------------------------------------
bad_report = []  # (file, line, description)
truth = []       # (source, record_id, person_id)


def write_csv(name, header, rows, render, delimiter=","):
    with open(OUT / name, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=delimiter, lineterminator="\n")
        w.writerow(header)
        for i, r in enumerate(rows):
            w.writerow(render(r))
    return len(rows)


# web_orders.csv
def render_web(o):
    created = iso_offset(o.dt, o.country)
    name = [o.name]
    if o.bad == "date":
        created = "not-a-date"
    elif o.bad == "extra":
        p = o.person
        name = [" ".join(x for x in (p.s1, p.s2) if x), " " + p.first]  # unquoted comma
    return [o.id, created, o.email, *name, o.phone, o.address, o.postcode, o.city,
            o.country, fmt_dot(o.cents), CURRENCY[o.country], o.refund_of.id if o.refund_of else ""]


BAD_DESC = {
    "date": "created_at is `not-a-date`",
    "noid": "order_id is empty",
    "extra": "13 fields instead of 12: customer_name written as `SURNAMES, NAME` without quotes, "
             "so the comma splits it",
    "amount": "importe is `abc`",
    "pdate": "fecha is `31/02/2025 10:00` (impossible date)",
    "birth": "birth_date is `1985-13-45` (month 13, day 45)",
    "json": "truncated JSON object (not valid JSON)",
    "short": "only 3 fields instead of 6 (row cut after caller_name)",
}

write_csv("web_orders.csv",
          ["order_id", "created_at", "customer_email", "customer_name", "phone", "shipping_address",
           "shipping_postcode", "shipping_city", "country", "total", "currency", "refund_of"],
          web, render_web)
for i, o in enumerate(web):
    if o.bad:
        bad_report.append(("web_orders.csv", i + 2, o.id or "(empty)", BAD_DESC[o.bad]))
    else:
        truth.append(("web_orders", o.id, o.person.pid))


# pos_tickets.csv
def render_pos(t):
    fecha = f"{t.dt:%d/%m/%Y %H:%M}"
    importe = fmt_comma(t.cents)
    if t.bad == "date":
        fecha = "31/02/2025 10:00"
    elif t.bad == "amount":
        importe = "abc"
    return [t.id, fecha, t.store, t.card, t.email, t.tel, importe, t.currency,
            t.ref.id if t.ref else ""]


write_csv("pos_tickets.csv",
          ["ticket_id", "fecha", "tienda", "tarjeta_fidelidad", "email_ticket", "telefono",
           "importe", "moneda", "devolucion_de"],
          pos, render_pos, delimiter=";")
for i, t in enumerate(pos):
    if t.bad:
        bad_report.append(("pos_tickets.csv", i + 2, t.id, BAD_DESC["pdate" if t.bad == "date" else t.bad]))
    else:
        truth.append(("pos_tickets", t.id, t.person.pid if t.person else f"ANON-{t.id}"))


# loyalty_members.csv
def render_loy(m):
    birth = "1985-13-45" if m.bad == "birth" else m.birth
    return [m.card, m.first, m.last, birth, m.email, m.mobile, m.postcode, m.city,
            f"{m.signup:%Y-%m-%d}", m.accepts]


write_csv("loyalty_members.csv",
          ["card_number", "first_name", "last_names", "birth_date", "email", "mobile", "postcode",
           "city", "signup_date", "accepts_email"],
          loyalty, render_loy)
for i, m in enumerate(loyalty):
    if m.bad:
        bad_report.append(("loyalty_members.csv", i + 2, m.card, BAD_DESC[m.bad]))
    else:
        truth.append(("loyalty_members", m.card, m.person.pid))

# app_users.jsonl
with open(OUT / "app_users.jsonl", "w", encoding="utf-8", newline="") as f:
    for i, u in enumerate(app_users):
        line = json.dumps(u.obj, ensure_ascii=False)
        if u.bad:
            line = line[: int(len(line) * 0.55)]
            bad_report.append(("app_users.jsonl", i + 1, u.obj["user"]["account_id"], BAD_DESC[u.bad]))
        else:
            truth.append(("app_users", u.obj["user"]["account_id"], u.person.pid))
        f.write(line + "\n")

# app_orders.jsonl
with open(OUT / "app_orders.jsonl", "w", encoding="utf-8", newline="") as f:
    for a in app_orders:
        obj = {"order_ref": a.id, "account_id": a.person.app_id, "placed_at": a.placed_at,
               "amount": {"value": a.cents / 100, "currency": a.currency}, "items": a.items}
        f.write(json.dumps(obj, ensure_ascii=False) + "\n")
        truth.append(("app_orders", a.id, a.person.pid))


# call_centre.csv
def render_call(c):
    if c.bad == "short":
        return [c.id, f"{c.dt:%Y-%m-%d %H:%M:%S}", c.name]
    return [c.id, f"{c.dt:%Y-%m-%d %H:%M:%S}", c.name, c.phone, c.email, c.reason]


write_csv("call_centre.csv", ["contact_id", "contact_time", "caller_name", "phone", "email", "reason"],
          calls, render_call)
for i, c in enumerate(calls):
    if c.bad:
        bad_report.append(("call_centre.csv", i + 2, c.id, BAD_DESC[c.bad]))
    else:
        truth.append(("call_centre", c.id, c.person.pid))

# messaging_contacts.csv
write_csv("messaging_contacts.csv",
          ["contact_id", "channel", "phone", "email", "profile_name",
           "whatsapp_opt_in", "email_opt_in", "updated_at"],
          msgs, lambda m: [m.id, m.channel, m.phone, m.email, m.profile,
                           m.opt_in if m.channel == "whatsapp" else "",
                           m.opt_in if m.channel == "email" else "",
                           f"{m.updated:%Y-%m-%dT%H:%M:%SZ}"])
for m in msgs:
    truth.append(("messaging_contacts", m.id, m.person.pid))

# truth.csv
with open(OUT / "truth.csv", "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["source", "record_id", "person_id"])
    w.writerows(truth)

# BAD_ROWS.md
with open(OUT / "BAD_ROWS.md", "w", encoding="utf-8", newline="") as f:
    f.write("# Deliberately bad rows\n\n"
            "Generated by `make_sample.py`; these rows exercise the loaders' reject path and are\n"
            "**not** listed in `truth.csv`. For CSV files the header is line 1; JSONL files have no\n"
            "header, so line 1 is the first object. No field contains a newline, so record N of a\n"
            "CSV file is on line N + 1.\n\n"
            "| file | line | record id | what is wrong |\n"
            "|---|---|---|---|\n")
    for file, line, rid, desc in bad_report:
        f.write(f"| `{file}` | {line} | `{rid}` | {desc} |\n" if rid != "(empty)"
                else f"| `{file}` | {line} | (empty) | {desc} |\n")

print("wrote:")
for name in ["web_orders.csv", "pos_tickets.csv", "loyalty_members.csv", "app_users.jsonl",
             "app_orders.jsonl", "call_centre.csv", "messaging_contacts.csv", "truth.csv"]:
    path = OUT / name
    with open(path, encoding="utf-8") as fh:
        n = sum(1 for _ in fh)
    print(f"  {name:26s} {n:5d} lines {path.stat().st_size:8d} bytes")
for file, line, rid, desc in bad_report:
    print(f"  bad: {file}:{line} {rid} - {desc}")
