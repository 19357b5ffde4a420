import{A as e,C as t,D as n,E as r,N as i,O as a,S as o,T as s,_ as c,a as l,b as u,c as d,d as f,f as p,g as m,h,i as g,l as _,m as v,n as y,o as b,p as x,r as S,s as C,t as w,u as T,v as E,w as D,x as O,y as k}from"./jsx-runtime-BW5Acwqz.js";var A=a(),j=i(e()),M=j.createContext({}),ee=M.Provider;M.Consumer,M.displayName=`UrqlContext`;var N=()=>j.useContext(M),P={fetching:!1,stale:!1,hasNext:!1,error:void 0,data:void 0,extensions:void 0,operation:void 0},te=(e,t)=>e===t||!(!e||!t||e.key!==t.key),F=(e,t)=>{var n={...e,...t,data:t.data!==void 0||t.error?t.data:e.data,fetching:!!t.fetching,stale:!!t.stale,error:t.fetching?e.error:t.error};return((e,t)=>{for(var n in e)if(!(n in t))return!0;for(var r in t)if(r===`operation`?!te(e[r],t[r]):e[r]!==t[r])return!0;return!1})(e,n)?n:e},ne=(e,t)=>{for(var n=0,r=t.length;n<r;n++)if(e[n]!==t[n])return!0;return!1},I=!1;function L(e,t){if(!I||t===void 0)try{return I=!0,e(t)}finally{I=!1}else Promise.resolve(t).then(e)}function R(e){var t=j.useRef(!0),r=N(),[i,a]=j.useState(P),l=j.useCallback(((i,l)=>(L(a,{...P,fetching:!0}),n(s(1)(c((e=>!e.hasNext))(o((e=>{t.current&&L(a,{fetching:!1,stale:e.stale,data:e.data,error:e.error,extensions:e.extensions,operation:e.operation,hasNext:e.hasNext})}))(r.executeMutation(h(e,i),l||{}))))))),[r,e,a]);return j.useEffect((()=>(t.current=!0,()=>{t.current=!1})),[]),[i,l]}function re(e,t){var n=j.useRef(void 0);return j.useMemo((()=>{var r=h(e,t);return n.current!==void 0&&n.current.key===r.key?n.current:(n.current=r,r)}),[e,t])}var ie=e=>{if(!e._react){var t=new Set,n=new Map;e.operations$&&D((e=>{e.kind===`teardown`&&t.has(e.key)&&(t.delete(e.key),n.delete(e.key))}))(e.operations$),e._react={get:e=>n.get(e),set(e,r){t.delete(e),n.set(e,r)},clear(e){t.delete(e),n.delete(e)},dispose(e){t.add(e)}}}return e._react},ae=(e,t)=>t&&t.suspense!==void 0?!!t.suspense:e.suspense;function z(e){var t=N(),n=ie(t),i=ae(t,e.context),a=re(e.query,e.variables),s=j.useMemo((()=>{if(e.pause)return null;var r=t.executeQuery(a,{requestPolicy:e.requestPolicy,...e.context});return i?o((e=>{n.set(a.key,e)}))(r):r}),[n,t,a,i,e.pause,e.requestPolicy,e.context]),c=j.useCallback(((e,t)=>{if(!e)return{fetching:!1};var i=n.get(a.key);if(!i){var o,s,c=D((e=>{i=e,o&&o(i)}))(O((()=>{s&&!i&&(n.get(a.key)===s&&n.clear(a.key),o&&o(void 0))}))(r((()=>t&&!o||!i||`hasNext`in i&&i.hasNext))(e)));if(i==null&&t)throw s=new Promise((e=>{o=e})),n.set(a.key,s),s;c.unsubscribe()}else if(t&&i!=null&&`then`in i){var l=i,u=()=>{n.get(a.key)===l&&n.clear(a.key)};throw l.then(u,u),i}if(t&&i!=null&&!(`then`in i)&&i.error){var d=i;queueMicrotask((()=>{n.get(a.key)===d&&n.clear(a.key)}))}return i||{fetching:!0}}),[n,a]),l=[t,a,e.requestPolicy,e.context,e.pause],[u,d]=j.useState((()=>[s,F(P,L((()=>c(s,i)))),l])),f=u[1];s!==u[0]&&ne(u[2],l)&&d([s,f=F(u[1],L((()=>c(s,i)))),l]),j.useEffect((()=>{var e=u[0],t=u[2][1],r=!1,i=e=>{r=!0,L(d,(t=>{var n=F(t[1],e);return t[1]===n?t:[t[0],n,t[2]]}))};if(e){var a=D(i)(O((()=>{i({fetching:!1})}))(e));return r||i({fetching:!0}),()=>{n.dispose(t.key),a.unsubscribe()}}i({fetching:!1})}),[n,u[0],u[2][1]]);var p=j.useCallback((r=>{var s={requestPolicy:e.requestPolicy,...e.context,...r};L(d,(e=>[i?o((e=>{n.set(a.key,e)}))(t.executeQuery(a,s)):t.executeQuery(a,s),e[1],l]))}),[t,n,a,i,e.requestPolicy,e.context,e.pause]);return[f,p]}var B=(e,t)=>x(e.kind,e,{...e.context,authAttempt:t});function oe(e){return({client:r,forward:i})=>{var a=new Set,o=E(),l=E(),d=new Map;function f(){g=void 0;var e=d;d=new Map,e.forEach(o.next)}function p(e){g=void 0;var t=d;d=new Map,t.forEach((t=>{l.next(m(t,e))}))}var g,_=null;return m=>{function v(){g=Promise.resolve().then((()=>e({mutate(e,i,l){var u=r.createRequestOperation(`mutation`,h(e,i),l);return n(s(1)(c((e=>e.operation.key===u.key&&u.context._instance===e.operation.context._instance))(t((()=>{var e=b(u);a.add(e.context._instance),o.next(e)}))(S))))},appendHeaders(e,t){var n=typeof e.context.fetchOptions==`function`?e.context.fetchOptions():e.context.fetchOptions||{};return x(e.kind,e,{...e.context,fetchOptions:{...n,headers:{...n.headers,...t}}})}}))).then((e=>{e&&(_=e),f()})).catch((e=>{p(e)}))}v();function y(e){d.set(e.key,B(e,!0)),_&&!g&&(g=_.refreshAuth().then(f).catch(p))}function b(e){return _?_.addAuthToOperation(e):e}var S=i(c(Boolean)(k((e=>e.kind===`teardown`?(d.delete(e.key),e):e.context._instance&&a.has(e.context._instance)?e:e.context.authAttempt?b(e):g||!_?(g||v(),d.has(e.key)||d.set(e.key,B(e,!1)),null):function(e){return!e.context.authAttempt&&_&&_.willAuthError&&_.willAuthError(e)}(e)?(y(e),null):b(B(e,!1))))(u([o.source,m]))));return u([l.source,c((e=>!a.has(e.operation.context._instance)&&e.error&&function(e){return _&&_.didAuthError&&_.didAuthError(e.error,e.operation)}(e)&&!e.operation.context.authAttempt?(y(e.operation),!1):(a.has(e.operation.context._instance)&&a.delete(e.operation.context._instance),!0)))(S)])}}}var V={connects:0,reconnects:0,lastCloseCode:0};function se(){let e=new URL(`/graphql`,window.location.href);return e.protocol=e.protocol===`https:`?`wss:`:`ws:`,e.toString()}function ce(e){let t=e.context.fetchOptions,n=(typeof t==`function`?t():t)?.headers;return!!n&&Object.keys(n).some(e=>e.toLowerCase()===`authorization`)}function le(){let e=_({url:se(),lazy:!0,lazyCloseTimeout:3e3,retryAttempts:1/0,shouldRetry:()=>!0,retryWait:async e=>{let t=e===0?50:Math.min(1e4,500*2**e)+Math.random()*500;await new Promise(e=>setTimeout(e,t))},connectionParams:async()=>{let e=await y();return e?{authorization:`Bearer ${e}`}:{}},on:{connected:(e,t,n)=>{V.connects+=1,n&&(V.reconnects+=1)},closed:e=>{V.lastCloseCode=e?.code??0}}});return{client:new T({url:`/graphql`,requestPolicy:`network-only`,preferGetMethod:!1,exchanges:[oe(async e=>({addAuthToOperation(t){let n=S()?.accessToken;return n?e.appendHeaders(t,{Authorization:`Bearer ${n}`}):t},willAuthError:()=>g(),didAuthError:(e,t)=>ce(t)&&(e.response?.status===401||e.graphQLErrors.some(e=>e.extensions?.code===`UNAUTHENTICATED`)),refreshAuth:async()=>{await b(!g()).catch(()=>void 0)}})),f,v({forwardSubscription(t){let n={...t,query:t.query??``};return{subscribe(t){return{unsubscribe:e.subscribe(n,t)}}}}})]}),ws:e,dispose:()=>void e.dispose()}}function ue(e){return(t,n)=>new Promise((r,i)=>{let a=new XMLHttpRequest;a.open(n?.method??`POST`,typeof t==`string`?t:t.toString()),new Headers(n?.headers).forEach((e,t)=>a.setRequestHeader(t,e)),a.responseType=`text`,a.upload.onprogress=t=>e(t.loaded,t.lengthComputable?t.total:0),a.onload=()=>{let e=new Headers;for(let t of a.getAllResponseHeaders().trim().split(/[\r\n]+/)){let n=t.indexOf(`:`);n>0&&e.append(t.slice(0,n).trim(),t.slice(n+1).trim())}r(new Response(a.responseText,{status:a.status,statusText:a.statusText,headers:e}))},a.onerror=()=>i(TypeError(`Network request failed`)),a.onabort=()=>i(new DOMException(`Aborted`,`AbortError`)),n?.signal?.addEventListener(`abort`,()=>a.abort()),a.send(n?.body)})}var H=w(),U=`soundroom:navigate`;function W(e,t=!1){t?history.replaceState(null,``,e):history.pushState(null,``,e),window.dispatchEvent(new Event(U))}function de(){let[e,t]=(0,j.useState)(()=>window.location.pathname);return(0,j.useEffect)(()=>{let e=()=>t(window.location.pathname);return window.addEventListener(U,e),window.addEventListener(`popstate`,e),()=>{window.removeEventListener(U,e),window.removeEventListener(`popstate`,e)}},[]),e}function G({href:e,onClick:t,...n}){return(0,H.jsx)(`a`,{href:e,onClick:n=>{t?.(n),n.defaultPrevented||n.button!==0||n.metaKey||n.ctrlKey||n.shiftKey||n.altKey||(n.preventDefault(),W(e))},...n})}var fe=`query Me { me { id username tag } }`;function pe(){let[e,t]=(0,j.useState)(null),n=(0,j.useRef)(!1);return(0,j.useEffect)(()=>{if(n.current)return;n.current=!0;let e=new URLSearchParams(window.location.hash.replace(/^#/,``));history.replaceState(null,``,`/auth/callback`);let r=e.get(`accessToken`),i=e.get(`refreshToken`),a=Number(e.get(`expiresIn`));!r||!i||!Number.isFinite(a)||a<=0?t(e.get(`error`)??`The sign-in did not complete.`):fetch(`/graphql`,{method:`POST`,headers:{"content-type":`application/json`,authorization:`Bearer ${r}`},body:JSON.stringify({query:fe})}).then(e=>e.json()).then(e=>{let t=e.data?.me;if(!t)throw Error(`no user`);C({accessToken:r,refreshToken:i,expiresIn:a,user:t}),W(`/`,!0)}).catch(()=>t(`The sign-in did not complete.`))},[]),(0,H.jsx)(`main`,{children:(0,H.jsxs)(`section`,{className:`narrow`,children:[(0,H.jsx)(`h1`,{children:`Signing in…`}),e&&(0,H.jsxs)(H.Fragment,{children:[(0,H.jsxs)(`p`,{role:`alert`,children:[`Google sign-in failed: `,e]}),(0,H.jsx)(`p`,{children:(0,H.jsx)(`a`,{href:`/`,children:`Back to Soundroom`})})]})]})})}function K(e){if(!e)return`Something went wrong.`;let t=e.graphQLErrors[0];return t?t.message:e.networkError?`The server could not be reached. Try again.`:e.message.replace(/^\[\w+\]\s*/,``)}function me(e){let t=e?.graphQLErrors[0]?.extensions?.code;return typeof t==`string`?t:void 0}function q(e){let t=Math.max(0,Math.floor(e/1e3));return`${Math.floor(t/60)}:${String(t%60).padStart(2,`0`)}`}var he=p`
  query Friends {
    friends(first: 100) {
      nodes {
        id
        username
        tag
        isOnline
      }
    }
    incoming: friendRequests(direction: INCOMING) {
      id
      requester {
        id
        username
        tag
      }
    }
    outgoing: friendRequests(direction: OUTGOING) {
      id
      receiver {
        id
        username
        tag
      }
    }
  }
`,ge=p`
  query SearchUsers($query: String!) {
    searchUsers(query: $query, first: 20) {
      id
      username
      tag
      friendship
    }
  }
`,_e=p`
  subscription UserEvents {
    userEvents {
      __typename
    }
  }
`,ve=p`
  mutation SendFriendRequest($userId: UUID!) {
    sendFriendRequest(userId: $userId) {
      id
    }
  }
`,ye=p`
  mutation AcceptFriendRequest($requestId: UUID!) {
    acceptFriendRequest(requestId: $requestId) {
      id
    }
  }
`,be=p`
  mutation DeclineFriendRequest($requestId: UUID!) {
    declineFriendRequest(requestId: $requestId)
  }
`,xe=p`
  mutation CancelFriendRequest($requestId: UUID!) {
    cancelFriendRequest(requestId: $requestId)
  }
`,Se=p`
  mutation RemoveFriend($userId: UUID!) {
    removeFriend(userId: $userId)
  }
`,Ce={FRIENDS:`friends`,REQUEST_SENT:`request sent`,REQUEST_RECEIVED:`wants to be friends`,SELF:`you`};function we(){let e=N(),[{data:t,error:n},r]=z({query:he}),[i,a]=(0,j.useState)(``),[o,s]=(0,j.useState)(null),[c,l]=(0,j.useState)(null),[,u]=R(ve),[,d]=R(ye),[,f]=R(be),[,p]=R(xe),[,m]=R(Se),h=()=>r({requestPolicy:`network-only`});(0,j.useEffect)(()=>{let t=e.subscription(_e,{}).subscribe(e=>{e.data&&r({requestPolicy:`network-only`})});return()=>t.unsubscribe()},[e,r]);let g=async e=>{l(null);let t=await e;t.error&&l(K(t.error)),h(),o&&_()},_=async t=>{if(t?.preventDefault(),!i.trim())return;let n=await e.query(ge,{query:i.trim()}).toPromise();if(n.error)return l(K(n.error));s(n.data?.searchUsers??[])};return(0,H.jsxs)(H.Fragment,{children:[(0,H.jsx)(`h1`,{children:`Friends`}),n&&(0,H.jsx)(`p`,{role:`alert`,children:K(n)}),c&&(0,H.jsx)(`p`,{role:`alert`,children:c}),(0,H.jsxs)(`section`,{"aria-labelledby":`find-h`,children:[(0,H.jsx)(`h2`,{id:`find-h`,children:`Find people`}),(0,H.jsxs)(`form`,{role:`search`,onSubmit:_,children:[(0,H.jsxs)(`label`,{children:[`Username or tag`,(0,H.jsx)(`input`,{type:`search`,value:i,onChange:e=>a(e.target.value)})]}),` `,(0,H.jsx)(`button`,{type:`submit`,children:`Search`})]}),o&&(0,H.jsxs)(`ul`,{"aria-label":`People found`,children:[o.length===0&&(0,H.jsx)(`li`,{children:`Nobody found.`}),o.map(e=>(0,H.jsxs)(`li`,{children:[e.username,` `,(0,H.jsxs)(`span`,{className:`muted`,children:[`(`,e.tag,`)`]}),` `,e.friendship===`NONE`?(0,H.jsx)(`button`,{type:`button`,"aria-label":`Add ${e.tag} as a friend`,onClick:()=>void g(u({userId:e.id})),children:`Add friend`}):(0,H.jsx)(`span`,{className:`muted`,children:Ce[e.friendship??``]??``})]},e.id))]})]}),(0,H.jsxs)(`section`,{"aria-labelledby":`requests-h`,children:[(0,H.jsx)(`h2`,{id:`requests-h`,children:`Friend requests`}),(0,H.jsxs)(`ul`,{"aria-label":`Incoming friend requests`,children:[t?.incoming.length===0&&(0,H.jsx)(`li`,{className:`muted`,children:`No requests for you.`}),t?.incoming.map(e=>(0,H.jsxs)(`li`,{children:[e.requester?.username,` `,(0,H.jsxs)(`span`,{className:`muted`,children:[`(`,e.requester?.tag,`)`]}),` `,(0,H.jsx)(`button`,{type:`button`,"aria-label":`Accept ${e.requester?.tag}`,onClick:()=>void g(d({requestId:e.id})),children:`Accept`}),` `,(0,H.jsx)(`button`,{type:`button`,"aria-label":`Decline ${e.requester?.tag}`,onClick:()=>void g(f({requestId:e.id})),children:`Decline`})]},e.id))]}),(0,H.jsx)(`ul`,{"aria-label":`Sent friend requests`,children:t?.outgoing.map(e=>(0,H.jsxs)(`li`,{children:[`To `,e.receiver?.username,` `,(0,H.jsxs)(`span`,{className:`muted`,children:[`(`,e.receiver?.tag,`)`]}),` `,(0,H.jsx)(`button`,{type:`button`,"aria-label":`Withdraw the request to ${e.receiver?.tag}`,onClick:()=>void g(p({requestId:e.id})),children:`Withdraw`})]},e.id))})]}),(0,H.jsxs)(`section`,{"aria-labelledby":`friends-h`,children:[(0,H.jsx)(`h2`,{id:`friends-h`,children:`Your friends`}),t?.friends.nodes.length===0&&(0,H.jsx)(`p`,{className:`muted`,children:`No friends yet: find people above.`}),(0,H.jsx)(`ul`,{"aria-label":`Friends`,children:t?.friends.nodes.map(e=>(0,H.jsxs)(`li`,{children:[e.username,` `,(0,H.jsxs)(`span`,{className:`muted`,children:[`(`,e.tag,`)`]}),` · `,e.isOnline?`online`:`offline`,` `,(0,H.jsx)(`button`,{type:`button`,"aria-label":`Remove ${e.tag} from friends`,onClick:()=>void g(m({userId:e.id})),children:`Remove`})]},e.id))})]})]})}var J=p`
  fragment UserBits on User {
    id
    username
    tag
  }
`,Y=p`
  fragment TrackBits on Track {
    id
    name
    durationMs
    streamUrl
    isFavorite
    artist {
      id
      name
    }
  }
`,Te=p`
  fragment PlaybackBits on PlaybackState {
    track {
      ...TrackBits
    }
    isPlaying
    positionMs
    anchorTimeMs
    version
    waitingFor {
      ...UserBits
    }
  }
  ${Y}
  ${J}
`,Ee=p`
  fragment MemberBits on RoomMember {
    user {
      ...UserBits
    }
    role
    isConnected
  }
  ${J}
`,De=p`
  fragment QueueBits on QueueItem {
    id
    track {
      ...TrackBits
    }
    addedBy {
      ...UserBits
    }
  }
  ${Y}
  ${J}
`,X=p`
  fragment RoomBits on Room {
    id
    name
    visibility
    controlMode
    viewerRole
    viewerCanControl
    memberCount
    connectedCount
    host {
      ...UserBits
    }
  }
  ${J}
`,Oe=p`
  fragment MessageBits on ChatMessage {
    id
    body
    deleted
    createdAt
    author {
      ...UserBits
    }
  }
  ${J}
`,Z=p`
  fragment AuthBits on AuthPayload {
    accessToken
    refreshToken
    expiresIn
    user {
      ...UserBits
    }
  }
  ${J}
`,ke=p`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      __typename
      ... on AuthPayload {
        ...AuthBits
      }
      ... on TwoFactorChallenge {
        challengeToken
      }
    }
  }
  ${Z}
`,Ae=p`
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      ...AuthBits
    }
  }
  ${Z}
`,je=p`
  mutation VerifyTwoFactor($challengeToken: String!, $code: String!) {
    verifyTwoFactor(challengeToken: $challengeToken, code: $code) {
      ...AuthBits
    }
  }
  ${Z}
`,Me=p`
  query Rooms {
    rooms(first: 50) {
      nodes {
        ...RoomBits
      }
    }
  }
  ${X}
`,Ne=p`
  mutation CreateRoom($input: CreateRoomInput!) {
    createRoom(input: $input) {
      id
    }
  }
`,Pe=p`
  query Room($id: UUID!) {
    room(id: $id) {
      ...RoomBits
    }
  }
  ${X}
`,Fe=p`
  mutation JoinRoom($roomId: UUID!) {
    joinRoom(roomId: $roomId) {
      ...RoomBits
    }
  }
  ${X}
`,Ie=p`
  mutation LeaveRoom($roomId: UUID!) {
    leaveRoom(roomId: $roomId)
  }
`,Le=p`
  subscription RoomEvents($roomId: UUID!) {
    roomEvents(roomId: $roomId) {
      __typename
      ... on RoomSnapshot {
        room {
          ...RoomBits
        }
        playback {
          ...PlaybackBits
        }
        queue {
          ...QueueBits
        }
        members {
          ...MemberBits
        }
        typing {
          ...UserBits
        }
      }
      ... on MemberJoined {
        member {
          ...MemberBits
        }
      }
      ... on MemberLeft {
        user {
          ...UserBits
        }
        kicked
      }
      ... on PresenceChanged {
        user {
          ...UserBits
        }
        isConnected
      }
      ... on PlaybackChanged {
        playback {
          ...PlaybackBits
        }
      }
      ... on QueueChanged {
        queue {
          ...QueueBits
        }
      }
      ... on ChatMessagePosted {
        message {
          ...MessageBits
        }
      }
      ... on ChatMessageEdited {
        message {
          ...MessageBits
        }
      }
      ... on ChatMessageDeleted {
        message {
          ...MessageBits
        }
      }
      ... on TypingChanged {
        user {
          ...UserBits
        }
        isTyping
      }
      ... on HostChanged {
        host {
          ...UserBits
        }
      }
      ... on MemberRoleChanged {
        member {
          ...MemberBits
        }
      }
      ... on RoomUpdated {
        room {
          ...RoomBits
        }
      }
      ... on RoomClosed {
        roomId
      }
    }
  }
  ${X}
  ${Te}
  ${De}
  ${Ee}
  ${Oe}
`,Re=p`
  query RoomMessages($roomId: UUID!) {
    roomMessages(roomId: $roomId, last: 50) {
      nodes {
        ...MessageBits
      }
    }
  }
  ${Oe}
`,ze=p`
  mutation RoomPlay($roomId: UUID!, $trackId: UUID) {
    roomPlay(roomId: $roomId, trackId: $trackId) {
      version
    }
  }
`,Be=p`
  mutation RoomPause($roomId: UUID!) {
    roomPause(roomId: $roomId) {
      version
    }
  }
`,Ve=p`
  mutation RoomSeek($roomId: UUID!, $positionMs: Int!) {
    roomSeek(roomId: $roomId, positionMs: $positionMs) {
      version
    }
  }
`,He=p`
  mutation RoomSkip($roomId: UUID!) {
    roomSkip(roomId: $roomId) {
      version
    }
  }
`,Ue=p`
  mutation Enqueue($roomId: UUID!, $trackId: UUID!) {
    enqueueTrack(roomId: $roomId, trackId: $trackId) {
      id
    }
  }
`,We=p`
  mutation RemoveQueueItem($roomId: UUID!, $itemId: UUID!) {
    removeQueueItem(roomId: $roomId, itemId: $itemId) {
      id
    }
  }
`,Ge=p`
  mutation SendRoomMessage($roomId: UUID!, $body: String!) {
    sendRoomMessage(roomId: $roomId, body: $body) {
      id
    }
  }
`,Ke=p`
  mutation SetTyping($roomId: UUID!, $isTyping: Boolean!) {
    setTyping(roomId: $roomId, isTyping: $isTyping)
  }
`,qe=p`
  mutation ReportLatency($roomId: UUID!, $rttMs: Int!) {
    reportLatency(roomId: $roomId, rttMs: $rttMs)
  }
`,Je=p`
  mutation ReportPlaybackStatus($roomId: UUID!, $trackId: UUID!, $status: MemberPlaybackStatus!) {
    reportPlaybackStatus(roomId: $roomId, trackId: $trackId, status: $status) {
      version
    }
  }
`,Ye=p`
  query SearchTracks($search: String, $first: Int) {
    tracks(search: $search, first: $first) {
      nodes {
        ...TrackBits
      }
      totalCount
    }
  }
  ${Y}
`,Xe=p`
  query MyPlaylists {
    myPlaylists(first: 50) {
      nodes {
        id
        name
        isPublic
        trackCount
      }
    }
  }
`,Ze=p`
  query PlaylistTracks($id: UUID!) {
    playlist(id: $id) {
      id
      tracks(first: 100) {
        nodes {
          ...TrackBits
        }
      }
    }
  }
  ${Y}
`,Qe=p`
  mutation CreatePlaylist($input: CreatePlaylistInput!) {
    createPlaylist(input: $input) {
      id
    }
  }
`,$e=p`
  mutation RemoveFromPlaylist($playlistId: UUID!, $trackId: UUID!) {
    removeTrackFromPlaylist(playlistId: $playlistId, trackId: $trackId) {
      id
      trackCount
    }
  }
`,et=p`
  mutation DeletePlaylist($id: UUID!) {
    deletePlaylist(id: $id)
  }
`,tt=p`
  query Favorites {
    favorites(first: 100) {
      nodes {
        ...TrackBits
      }
    }
  }
  ${Y}
`,nt=p`
  mutation Unfavorite($trackId: UUID!) {
    removeFavorite(trackId: $trackId) {
      id
    }
  }
`;function rt(){let[{data:e,error:t},n]=z({query:Xe});return{items:e?.myPlaylists.nodes??[],refetch:()=>n({requestPolicy:`network-only`}),error:t?K(t):void 0}}function it(){let[{data:e,error:t},n]=z({query:tt});return{items:e?.favorites.nodes??[],refetch:()=>n({requestPolicy:`network-only`}),error:t?K(t):void 0}}function at({playlist:e,onChange:t}){let[{data:n,error:r},i]=z({query:Ze,variables:{id:e.id}}),[,a]=R($e);if(r)return(0,H.jsx)(`p`,{role:`alert`,children:K(r)});let o=n?.playlist?.tracks.nodes??[];return n&&o.length===0?(0,H.jsx)(`p`,{className:`muted`,children:`No tracks yet: add some from the catalog.`}):(0,H.jsx)(`ol`,{"aria-label":`Tracks of ${e.name}`,children:o.map(n=>(0,H.jsxs)(`li`,{children:[n.name,` `,(0,H.jsxs)(`span`,{className:`muted`,children:[`by `,n.artist.name]}),` · `,q(n.durationMs),` `,(0,H.jsx)(`button`,{type:`button`,"aria-label":`Remove ${n.name} from ${e.name}`,onClick:async()=>{await a({playlistId:e.id,trackId:n.id}),i({requestPolicy:`network-only`}),t()},children:`Remove`})]},n.id))})}function ot({playlists:e,favorites:t,onChange:n}){let[r,i]=(0,j.useState)(``),[a,o]=(0,j.useState)(!1),[s,c]=(0,j.useState)(null),[,l]=R(Qe),[,u]=R(et),[,d]=R(nt);return(0,H.jsxs)(H.Fragment,{children:[(0,H.jsxs)(`section`,{"aria-labelledby":`playlists-h`,children:[(0,H.jsx)(`h2`,{id:`playlists-h`,children:`Playlists`}),e.error&&(0,H.jsx)(`p`,{role:`alert`,children:e.error}),e.items.length===0&&(0,H.jsx)(`p`,{className:`muted`,children:`You have no playlists yet.`}),(0,H.jsx)(`ul`,{"aria-label":`Playlists`,children:e.items.map(e=>(0,H.jsx)(`li`,{children:(0,H.jsxs)(`details`,{children:[(0,H.jsxs)(`summary`,{children:[e.name,` `,(0,H.jsxs)(`span`,{className:`muted`,children:[`· `,e.trackCount,` tracks · `,e.isPublic?`public`:`private`]})]}),(0,H.jsx)(at,{playlist:e,onChange:n},`${e.id}:${e.trackCount}`),(0,H.jsx)(`button`,{type:`button`,"aria-label":`Delete playlist ${e.name}`,onClick:async()=>{await u({id:e.id}),n()},children:`Delete playlist`})]})},e.id))}),(0,H.jsxs)(`form`,{onSubmit:async e=>{e.preventDefault(),c(null);let t=await l({input:{name:r.trim(),isPublic:a}});if(t.error)return c(K(t.error));i(``),n()},children:[(0,H.jsxs)(`label`,{children:[`Playlist name`,(0,H.jsx)(`input`,{required:!0,value:r,onChange:e=>i(e.target.value)})]}),` `,(0,H.jsxs)(`label`,{className:`inline`,children:[(0,H.jsx)(`input`,{type:`checkbox`,checked:a,onChange:e=>o(e.target.checked)}),` Public`]}),` `,(0,H.jsx)(`button`,{type:`submit`,children:`Create playlist`})]}),s&&(0,H.jsx)(`p`,{role:`alert`,children:s})]}),(0,H.jsxs)(`section`,{"aria-labelledby":`favorites-h`,children:[(0,H.jsx)(`h2`,{id:`favorites-h`,children:`Favorites`}),t.error&&(0,H.jsx)(`p`,{role:`alert`,children:t.error}),t.items.length===0&&(0,H.jsx)(`p`,{className:`muted`,children:`No favorites yet.`}),(0,H.jsx)(`ul`,{"aria-label":`Favorites`,children:t.items.map(e=>(0,H.jsxs)(`li`,{children:[e.name,` `,(0,H.jsxs)(`span`,{className:`muted`,children:[`by `,e.artist.name]}),` `,(0,H.jsx)(`button`,{type:`button`,"aria-label":`Remove ${e.name} from favorites`,onClick:async()=>{await d({trackId:e.id}),n()},children:`Remove`})]},e.id))})]})]})}var st=p`
  query FindArtist($search: String!) {
    artists(search: $search, first: 20) {
      nodes {
        id
        name
      }
    }
  }
`,ct=p`
  mutation CreateArtist($input: CreateArtistInput!) {
    createArtist(input: $input) {
      id
    }
  }
`,lt=p`
  mutation UploadTrack($input: UploadTrackInput!, $file: Upload!) {
    uploadTrack(input: $input, file: $file) {
      ...TrackBits
    }
  }
  ${Y}
`,ut=p`
  mutation AddFavorite($trackId: UUID!) {
    addFavorite(trackId: $trackId) {
      id
      isFavorite
    }
  }
`,dt=p`
  mutation RemoveFavorite($trackId: UUID!) {
    removeFavorite(trackId: $trackId) {
      id
      isFavorite
    }
  }
`,ft=p`
  mutation AddToPlaylist($playlistId: UUID!, $trackId: UUID!) {
    addTrackToPlaylist(playlistId: $playlistId, trackId: $trackId) {
      id
      trackCount
    }
  }
`;function pt({onUploaded:e}){let t=N(),[n,r]=(0,j.useState)(null),[i,a]=(0,j.useState)(``),[o,s]=(0,j.useState)(``),[c,l]=(0,j.useState)(``),[u,d]=(0,j.useState)(null),[f,p]=(0,j.useState)(null),[m,h]=(0,j.useState)(null);return(0,H.jsxs)(`section`,{"aria-labelledby":`upload-h`,children:[(0,H.jsx)(`h2`,{id:`upload-h`,children:`Upload a track`}),(0,H.jsxs)(`form`,{onSubmit:async s=>{if(s.preventDefault(),!n)return;h(null),p(null);let l=o.trim(),u=await t.query(st,{search:l}).toPromise();if(u.error)return h(K(u.error));let f=(u.data?.artists.nodes??[]).find(e=>e.name.toLowerCase()===l.toLowerCase())?.id;if(!f){let e=await t.mutation(ct,{input:{name:l}}).toPromise();if(!e.data?.createArtist)return h(K(e.error));f=e.data.createArtist.id}d(0);let m={artistId:f,name:i.trim()||null,genre:c.trim()||null},g=await t.mutation(lt,{input:m,file:n},{fetch:ue((e,t)=>d(t?e/t:0))}).toPromise();if(d(null),!g.data?.uploadTrack)return h(K(g.error));let _=g.data.uploadTrack;p(`Uploaded “${_.name}” (${q(_.durationMs)}).`),r(null),a(``),s.target.reset(),e()},children:[(0,H.jsxs)(`label`,{children:[`Audio file`,(0,H.jsx)(`input`,{type:`file`,accept:`audio/*`,required:!0,onChange:e=>r(e.target.files?.[0]??null)})]}),(0,H.jsxs)(`label`,{children:[`Title `,(0,H.jsx)(`span`,{className:`muted`,children:`(optional: the file's title tag otherwise)`}),(0,H.jsx)(`input`,{value:i,onChange:e=>a(e.target.value)})]}),(0,H.jsxs)(`label`,{children:[`Artist`,(0,H.jsx)(`input`,{required:!0,value:o,onChange:e=>s(e.target.value)})]}),(0,H.jsxs)(`label`,{children:[`Genre `,(0,H.jsx)(`span`,{className:`muted`,children:`(optional)`}),(0,H.jsx)(`input`,{value:c,onChange:e=>l(e.target.value)})]}),(0,H.jsx)(`button`,{type:`submit`,disabled:!n||u!==null,children:`Upload`}),` `,u!==null&&(0,H.jsxs)(`progress`,{"aria-label":`Upload progress`,max:1,value:u,children:[Math.round(u*100),` %`]})]}),f&&(0,H.jsx)(`p`,{role:`status`,children:f}),m&&(0,H.jsx)(`p`,{role:`alert`,children:m})]})}function mt({track:e,playlists:t,onChange:n}){let[,r]=R(ut),[,i]=R(dt),[,a]=R(ft),[o,s]=(0,j.useState)(null);return(0,H.jsxs)(`li`,{children:[e.name,` `,(0,H.jsxs)(`span`,{className:`muted`,children:[`by `,e.artist.name]}),` · `,q(e.durationMs),` `,(0,H.jsx)(`button`,{type:`button`,"aria-pressed":e.isFavorite,"aria-label":`Favorite ${e.name}`,onClick:async()=>{let t=await(e.isFavorite?i:r)({trackId:e.id});s(t.error?K(t.error):null),n()},children:e.isFavorite?`★ Favorite`:`☆ Favorite`}),` `,t.length>0&&(0,H.jsxs)(`label`,{children:[`Add `,e.name,` to a playlist`,(0,H.jsxs)(`select`,{value:``,onChange:async t=>{let r=t.target.value;if(!r)return;let i=await a({playlistId:r,trackId:e.id});s(i.error?K(i.error):`Added.`),n()},children:[(0,H.jsx)(`option`,{value:``,children:`Choose…`}),t.map(e=>(0,H.jsx)(`option`,{value:e.id,children:e.name},e.id))]})]}),o&&(0,H.jsxs)(`span`,{role:`status`,children:[` `,o]})]})}function ht(){let[e,t]=(0,j.useState)(``),[n,r]=(0,j.useState)(null),[i,a]=z({query:Ye,variables:{search:n,first:50}}),o=rt(),s=it(),c=()=>{a({requestPolicy:`network-only`}),o.refetch(),s.refetch()};return(0,H.jsxs)(H.Fragment,{children:[(0,H.jsx)(`h1`,{children:`Library`}),(0,H.jsx)(pt,{onUploaded:c}),(0,H.jsxs)(`section`,{"aria-labelledby":`catalog-h`,children:[(0,H.jsx)(`h2`,{id:`catalog-h`,children:`Catalog`}),(0,H.jsxs)(`form`,{role:`search`,onSubmit:t=>{t.preventDefault(),r(e.trim()||null)},children:[(0,H.jsxs)(`label`,{children:[`Search tracks`,(0,H.jsx)(`input`,{type:`search`,value:e,onChange:e=>t(e.target.value)})]}),` `,(0,H.jsx)(`button`,{type:`submit`,children:`Search`})]}),i.error&&(0,H.jsx)(`p`,{role:`alert`,children:K(i.error)}),i.data&&(0,H.jsxs)(H.Fragment,{children:[(0,H.jsxs)(`p`,{className:`muted`,children:[i.data.tracks.totalCount,` tracks`]}),(0,H.jsx)(`ul`,{"aria-label":`Tracks`,children:i.data.tracks.nodes.map(e=>(0,H.jsx)(mt,{track:e,playlists:o.items,onChange:c},e.id))})]})]}),(0,H.jsx)(ot,{playlists:o,favorites:s,onChange:c})]})}var gt=2e3;function _t(e){return e.length===0?``:e.length===1?`${e[0].username} is typing…`:e.length===2?`${e[0].username} and ${e[1].username} are typing…`:`${e.length} people are typing…`}function vt({roomId:e,messages:t,typing:n}){let[r,i]=(0,j.useState)(``),[a,o]=(0,j.useState)(null),[s,c]=R(Ge),[,l]=R(Ke),u=(0,j.useRef)(0),d=(0,j.useRef)(null);(0,j.useEffect)(()=>{let e=d.current;e&&(e.scrollTop=e.scrollHeight)},[t.length]);let f=t=>{i(t);let n=Date.now();t.trim()&&n-u.current>gt?(u.current=n,l({roomId:e,isTyping:!0})):!t.trim()&&u.current&&(u.current=0,l({roomId:e,isTyping:!1}))};return(0,H.jsxs)(`section`,{"aria-labelledby":`chat-h`,children:[(0,H.jsx)(`h2`,{id:`chat-h`,children:`Chat`}),(0,H.jsxs)(`div`,{role:`log`,"aria-label":`Chat`,className:`chat`,ref:d,children:[t.length===0&&(0,H.jsx)(`p`,{className:`muted`,children:`No messages yet.`}),t.map(e=>(0,H.jsxs)(`p`,{children:[(0,H.jsx)(`strong`,{children:e.author.username}),` `,(0,H.jsx)(`time`,{dateTime:e.createdAt,className:`muted`,children:new Date(e.createdAt).toLocaleTimeString([],{hour:`2-digit`,minute:`2-digit`})}),`: `,e.deleted?(0,H.jsx)(`em`,{children:`message deleted`}):e.body]},e.id))]}),(0,H.jsx)(`p`,{className:`typing`,"aria-live":`polite`,children:_t(n)}),(0,H.jsxs)(`form`,{onSubmit:async t=>{t.preventDefault();let n=r.trim();if(!n)return;o(null);let a=await c({roomId:e,body:n});if(a.error)return o(K(a.error));u.current=0,i(``)},className:`chat-form`,children:[(0,H.jsxs)(`label`,{children:[`Message`,(0,H.jsx)(`input`,{value:r,maxLength:4096,autoComplete:`off`,onChange:e=>f(e.target.value)})]}),` `,(0,H.jsx)(`button`,{type:`submit`,disabled:s.fetching,children:`Send`})]}),a&&(0,H.jsx)(`p`,{role:`alert`,children:a})]})}var yt=p`
  query ServerTime {
    serverTime
  }
`;function bt(e,t){if(typeof performance.getEntriesByType!=`function`)return null;let n=performance.getEntriesByType(`resource`);for(let r=n.length-1;r>=0;r--){let i=n[r];if(!i.name.includes(`/graphql?`)||!i.name.includes(`ServerTime`))continue;let a=performance.timeOrigin+i.requestStart,o=performance.timeOrigin+i.responseStart;if(i.requestStart>0&&i.responseStart>=i.requestStart&&a>=e&&o<=t)return{sent:a,received:o};break}return null}typeof performance.setResourceTimingBufferSize==`function`&&(performance.setResourceTimingBufferSize(500),performance.addEventListener?.(`resourcetimingbufferfull`,()=>performance.clearResourceTimings()));function Q(){return performance.timeOrigin+performance.now()}var xt=class{client;samples=[];timer;constructor(e){this.client=e}get offsetMs(){return this.best()?.offsetMs??0}get rttMs(){return this.best()?.rttMs??0}get worstRecentRttMs(){return this.samples.reduce((e,t)=>Math.max(e,t.rttMs),0)}get synced(){return this.samples.length>0}now(){return Q()+this.offsetMs}toLocal(e){return e-this.offsetMs}async measure(e=6){for(let t=0;t<e;t++)await this.sample()}start(e=2e4){this.stop(),this.timer=setInterval(()=>void this.measure(3).catch(()=>void 0),e)}stop(){clearInterval(this.timer),this.timer=void 0}async sample(){let e=Q(),t=await this.client.query(yt,{},{requestPolicy:`network-only`,preferGetMethod:`force`}).toPromise(),n=Q(),r=t.data?.serverTime;if(typeof r!=`number`)return;let i=bt(e,n),a=i?.sent??e,o=i?.received??n;this.samples.push({offsetMs:r-(a+o)/2,rttMs:o-a,at:n});let s=n-3e5;this.samples=this.samples.filter(e=>e.at>=s).slice(-30)}best(){let e;for(let t of this.samples)(!e||t.rttMs<e.rttMs)&&(e=t);return e}},St=200,Ct=300,wt=10,Tt=2,Et=.05;function $(e,t){return e.isPlaying?Math.max(e.positionMs,e.positionMs+(t-e.anchorTimeMs)):e.positionMs}var Dt=class{audio;clock;report;onChange;stats={driftMs:0,rate:1,seeks:0,seekLeadMs:0,blocked:!1};playback=null;trackId=null;tick;startTimer;nudging=!1;measureAfterSeek=!1;reported=null;seekLeadMs=0;listeners=[];constructor(e,t,n,r){this.audio=e,this.clock=t,this.report=n,this.onChange=r,e.preload=`auto`;let i=(t,n)=>{e.addEventListener(t,n),this.listeners.push([t,n])};i(`canplay`,()=>{this.reportStatus(`READY`),this.apply()}),i(`playing`,()=>this.reportStatus(`READY`)),i(`waiting`,()=>{this.playback?.isPlaying&&this.reportStatus(`BUFFERING`)}),i(`loadedmetadata`,()=>this.apply()),this.tick=setInterval(()=>this.apply(),St)}dispose(){clearInterval(this.tick),clearTimeout(this.startTimer);for(let[e,t]of this.listeners)this.audio.removeEventListener(e,t);this.audio.pause()}set(e){this.playback=e;let t=e?.track??null;t?(t.id!==this.trackId&&(this.trackId=t.id,this.reported=null,this.audio.src=t.streamUrl,this.audio.load()),clearTimeout(this.startTimer),this.startTimer=void 0,this.apply()):(this.trackId=null,this.audio.pause(),this.audio.removeAttribute(`src`),this.audio.load())}unblock(){this.stats.blocked=!1,this.audio.play().catch(()=>void 0),this.apply()}roomPositionMs(){return this.playback?$(this.playback,this.clock.now()):null}reportStatus(e){let t=this.trackId;!t||this.reported?.trackId===t&&this.reported.status===e||(this.reported={trackId:t,status:e},this.report(t,e))}setRate(e){Math.abs(this.audio.playbackRate-e)>1e-4&&(this.audio.playbackRate=e),this.stats.rate=e}seek(e){this.audio.currentTime=Math.max(0,e)/1e3}startPlaying(){this.audio.play().then(()=>{this.stats.blocked&&(this.stats.blocked=!1,this.onChange())},e=>{e instanceof DOMException&&e.name===`NotAllowedError`&&!this.stats.blocked&&(this.stats.blocked=!0,this.onChange())})}apply(){let e=this.playback,t=this.audio;if(!e?.track||!this.clock.synced)return;let n=this.clock.now(),r=Number.isFinite(t.duration)?t.duration*1e3:e.track.durationMs,i=t.readyState>=HTMLMediaElement.HAVE_METADATA;if(!e.isPlaying||n<e.anchorTimeMs){if(t.paused||t.pause(),this.setRate(1),this.nudging=!1,i&&!t.seeking&&Math.abs(t.currentTime*1e3-e.positionMs)>30&&this.seek(e.positionMs),e.isPlaying&&this.startTimer===void 0){let t=this.clock.toLocal(e.anchorTimeMs)-Q();this.startTimer=setTimeout(()=>{this.startTimer=void 0,this.apply()},Math.max(0,t))}this.stats.driftMs=i?t.currentTime*1e3-e.positionMs:0;return}let a=$(e,n);if(a>=r){!t.paused&&t.ended&&t.pause();return}if(!i)return;if(t.paused){this.stats.blocked||(Math.abs(t.currentTime*1e3-a)>30&&(this.seek(a+this.seekLeadMs),this.measureAfterSeek=!0),this.startPlaying());return}if(t.seeking||t.readyState<HTMLMediaElement.HAVE_FUTURE_DATA)return;let o=t.currentTime*1e3-a;this.stats.driftMs=o,this.measureAfterSeek&&(this.measureAfterSeek=!1,Math.abs(o)<Ct*2&&(this.seekLeadMs=Math.min(1e3,Math.max(0,this.seekLeadMs-o*.8)),this.stats.seekLeadMs=this.seekLeadMs)),Math.abs(o)>Ct?(this.setRate(1),this.nudging=!1,this.stats.seeks+=1,this.seek(a+this.seekLeadMs),this.measureAfterSeek=!0):Math.abs(o)>wt||this.nudging&&Math.abs(o)>Tt?(this.nudging=!0,this.setRate(1+Math.max(-.05,Math.min(Et,-o/1e3)))):(this.nudging=!1,this.setRate(1))}};function Ot({roomId:e,playback:t,canControl:n,snapshots:r}){let i=N(),a=(0,j.useRef)(null),o=(0,j.useRef)(null),s=(0,j.useRef)(null),c=(0,j.useRef)(t);c.current=t;let[l,u]=(0,j.useState)(!1),[d,f]=(0,j.useState)(1),[,p]=(0,j.useReducer)(e=>e+1,0),[m,h]=(0,j.useState)(null),[g,_]=(0,j.useState)(null),[,v]=R(ze),[,y]=R(Be),[,b]=R(Ve),[,x]=R(He),S=(0,j.useRef)(null),C=()=>{let t=s.current;if(!t?.synced)return;let n=Math.max(1,Math.ceil(t.worstRecentRttMs));i.mutation(qe,{roomId:e,rttMs:n}).toPromise()},w=(0,j.useRef)(C);w.current=C,(0,j.useEffect)(()=>{let t=a.current;if(!t)return;let n=new xt(i),r=new Dt(t,n,(t,n)=>void i.mutation(Je,{roomId:e,trackId:t,status:n}).toPromise(),()=>u(r.stats.blocked));s.current=n,o.current=r,r.set(c.current);let l=!0;n.measure(6).then(()=>{l&&(w.current(),n.start(2e4))}),window.soundroom={sync:()=>({...r.stats,offsetMs:n.offsetMs,rttMs:n.rttMs,roomPositionMs:r.roomPositionMs(),audioMs:t.currentTime*1e3,at:Q()}),connection:V};let d=setInterval(p,500);return()=>{l=!1,clearInterval(d),n.stop(),r.dispose(),s.current=null,o.current=null,delete window.soundroom}},[i,e]),(0,j.useEffect)(()=>{o.current?.set(t)},[t]),(0,j.useEffect)(()=>{r>0&&w.current()},[r]),(0,j.useEffect)(()=>{a.current&&(a.current.volume=d)},[d]),(0,j.useEffect)(()=>{let t=S.current;if(!t)return;let n=()=>{let n=Math.round(Number(t.value)*1e3);h(null),T(b({roomId:e,positionMs:n}))};return t.addEventListener(`change`,n),()=>t.removeEventListener(`change`,n)});let T=async e=>{_(null);let t=await e;t.error&&_(K(t.error))},E=s.current,D=t?.track??null,O=t&&E?$(t,E.now()):0,k=Math.min(m??O,D?.durationMs??0),A=o.current?.stats,M=t?.waitingFor??[];return(0,H.jsxs)(`section`,{"aria-labelledby":`player-h`,children:[(0,H.jsx)(`h2`,{id:`player-h`,children:`Now playing`}),(0,H.jsx)(`audio`,{ref:a,preload:`auto`}),D?(0,H.jsxs)(`p`,{children:[(0,H.jsx)(`strong`,{children:D.name}),` by `,D.artist.name,` ·`,` `,(0,H.jsxs)(`span`,{"aria-live":`off`,children:[q(k),` / `,q(D.durationMs)]}),` `,`· `,t?.isPlaying?`playing`:`paused`]}):(0,H.jsxs)(`p`,{children:[`Nothing is playing. Add tracks to the queue`,n?` and press Play`:``,`.`]}),M.length>0&&(0,H.jsxs)(`p`,{children:[`Waiting for `,M.map(e=>e.username).join(`, `),` to be ready…`]}),l&&(0,H.jsxs)(`p`,{role:`alert`,children:[`Your browser blocked the sound.`,` `,(0,H.jsx)(`button`,{type:`button`,onClick:()=>o.current?.unblock(),children:`Start audio`})]}),n?(0,H.jsxs)(`div`,{role:`group`,"aria-label":`Playback controls`,className:`controls`,children:[(0,H.jsx)(`button`,{type:`button`,onClick:()=>void T(v({roomId:e})),children:`Play`}),(0,H.jsx)(`button`,{type:`button`,onClick:()=>void T(y({roomId:e})),children:`Pause`}),(0,H.jsx)(`button`,{type:`button`,onClick:()=>void T(x({roomId:e})),children:`Skip`}),(0,H.jsxs)(`label`,{children:[`Position`,(0,H.jsx)(`input`,{ref:S,type:`range`,min:0,max:Math.max(1,Math.floor((D?.durationMs??0)/1e3)),step:1,disabled:!D,value:Math.floor(k/1e3),onChange:e=>h(Number(e.target.value)*1e3)})]})]}):(0,H.jsx)(`p`,{className:`muted`,children:`The host decides what plays.`}),(0,H.jsxs)(`label`,{children:[`Volume`,(0,H.jsx)(`input`,{type:`range`,min:0,max:1,step:.05,value:d,onChange:e=>f(Number(e.target.value))})]}),g&&(0,H.jsx)(`p`,{role:`alert`,children:g}),(0,H.jsxs)(`details`,{children:[(0,H.jsx)(`summary`,{children:`Sync details`}),(0,H.jsxs)(`dl`,{className:`stats`,children:[(0,H.jsx)(`dt`,{children:`Clock offset`}),(0,H.jsx)(`dd`,{children:E?`${E.offsetMs.toFixed(1)} ms`:`…`}),(0,H.jsx)(`dt`,{children:`Round trip`}),(0,H.jsx)(`dd`,{children:E?`${E.rttMs.toFixed(1)} ms`:`…`}),(0,H.jsx)(`dt`,{children:`Drift`}),(0,H.jsx)(`dd`,{children:A?`${A.driftMs.toFixed(1)} ms`:`…`}),(0,H.jsx)(`dt`,{children:`Playback rate`}),(0,H.jsx)(`dd`,{children:A?A.rate.toFixed(3):`…`}),(0,H.jsx)(`dt`,{children:`Corrective seeks`}),(0,H.jsx)(`dd`,{children:A?.seeks??0})]})]})]})}function kt({roomId:e,queue:t,canControl:n,meId:r}){let i=N(),[a,o]=(0,j.useState)(``),[s,c]=(0,j.useState)(null),[l,u]=(0,j.useState)(null),[,d]=R(Ue),[,f]=R(We),p=async e=>{e.preventDefault(),u(null);let t=await i.query(Ye,{search:a.trim()||null,first:20}).toPromise();if(t.error)return u(K(t.error));c(t.data?.tracks.nodes??[])},m=async e=>{u(null);let t=await e;t.error&&u(K(t.error))};return(0,H.jsxs)(`section`,{"aria-labelledby":`queue-h`,children:[(0,H.jsx)(`h2`,{id:`queue-h`,children:`Queue`}),t.length===0&&(0,H.jsx)(`p`,{className:`muted`,children:`The queue is empty.`}),(0,H.jsx)(`ol`,{"aria-label":`Queue`,children:t.map(t=>(0,H.jsxs)(`li`,{children:[t.track.name,` `,(0,H.jsxs)(`span`,{className:`muted`,children:[`by `,t.track.artist.name]}),` ·`,` `,q(t.track.durationMs),` · added by `,t.addedBy.username,` `,(n||t.addedBy.id===r)&&(0,H.jsx)(`button`,{type:`button`,"aria-label":`Remove ${t.track.name} from the queue`,onClick:()=>void m(f({roomId:e,itemId:t.id})),children:`Remove`})]},t.id))}),(0,H.jsxs)(`form`,{role:`search`,"aria-label":`Add from the catalog`,onSubmit:p,children:[(0,H.jsxs)(`label`,{children:[`Search the catalog`,(0,H.jsx)(`input`,{type:`search`,value:a,onChange:e=>o(e.target.value)})]}),` `,(0,H.jsx)(`button`,{type:`submit`,children:`Search`})]}),l&&(0,H.jsx)(`p`,{role:`alert`,children:l}),s&&(0,H.jsxs)(`ul`,{"aria-label":`Catalog results`,children:[s.length===0&&(0,H.jsx)(`li`,{children:`No tracks found.`}),s.map(t=>(0,H.jsxs)(`li`,{children:[t.name,` `,(0,H.jsxs)(`span`,{className:`muted`,children:[`by `,t.artist.name]}),` · `,q(t.durationMs),` `,(0,H.jsx)(`button`,{type:`button`,"aria-label":`Add ${t.name} to the queue`,onClick:()=>void m(d({roomId:e,trackId:t.id})),children:`Add to queue`})]},t.id))]})]})}function At(e,t){if(t.__typename===`RoomSnapshot`){let{room:e,playback:n,queue:r,members:i,typing:a}=t;return{room:e,playback:n,queue:r,members:i,typing:a}}if(!e)return e;switch(t.__typename){case`MemberJoined`:return{...e,members:[...e.members.filter(e=>e.user.id!==t.member.user.id),t.member]};case`MemberRoleChanged`:return{...e,members:e.members.map(e=>e.user.id===t.member.user.id?t.member:e)};case`MemberLeft`:return{...e,members:e.members.filter(e=>e.user.id!==t.user.id)};case`PresenceChanged`:return{...e,members:e.members.map(e=>e.user.id===t.user.id?{...e,isConnected:t.isConnected}:e)};case`PlaybackChanged`:return t.playback.version>e.playback.version?{...e,playback:t.playback}:e;case`QueueChanged`:return{...e,queue:t.queue};case`TypingChanged`:{let n=e.typing.filter(e=>e.id!==t.user.id);return{...e,typing:t.isTyping?[...n,t.user]:n}}case`HostChanged`:return{...e,room:{...e.room,host:t.host}};case`RoomUpdated`:return{...e,room:t.room};default:return e}}function jt(e,t){let n=new Map(e.map(e=>[e.id,e]));for(let e of t)n.set(e.id,e);return[...n.values()].sort((e,t)=>e.createdAt.localeCompare(t.createdAt)||e.id.localeCompare(t.id))}function Mt({roomId:e}){let t=N(),n=S()?.user,[{data:r,error:i,fetching:a}]=z({query:Pe,variables:{id:e}}),[o,s]=(0,j.useState)(null),[c,l]=R(Fe),[,u]=R(Ie),[d,f]=(0,j.useState)(null),[p,m]=(0,j.useState)(null),[h,g]=(0,j.useState)([]),[_,v]=(0,j.useState)(0),[y,b]=(0,j.useState)(null),[x,C]=(0,j.useState)(null),w=p??o??r?.room??null,T=!!(o??r?.room)?.viewerRole,E=(0,j.useCallback)(async()=>{let n=(await t.query(Re,{roomId:e}).toPromise()).data?.roomMessages?.nodes;n&&g(e=>jt(e,n))},[t,e]),D=(0,j.useCallback)(async()=>{let n=await t.query(Pe,{id:e}).toPromise();n.data?.room&&m(n.data.room)},[t,e]);if((0,j.useEffect)(()=>{if(!T)return;let r=t.subscription(Le,{roomId:e}).subscribe(e=>{if(e.error){C(me(e.error)===`FORBIDDEN`?`You are not a member of this room.`:K(e.error));return}let t=e.data?.roomEvents;if(t){switch(C(null),t.__typename){case`RoomSnapshot`:m(t.room),v(e=>e+1),E();break;case`ChatMessagePosted`:case`ChatMessageEdited`:case`ChatMessageDeleted`:g(e=>jt(e,[t.message]));break;case`HostChanged`:case`MemberRoleChanged`:case`RoomUpdated`:D();break;case`MemberLeft`:t.user.id===n?.id&&b(t.kicked?`You were removed from this room.`:`You left this room.`);break;case`RoomClosed`:b(`This room is closed.`)}f(e=>At(e,t))}});return()=>r.unsubscribe()},[t,e,T,E,D,n?.id]),a&&!r)return(0,H.jsx)(`p`,{children:`Loading the room…`});if(i)return(0,H.jsx)(`p`,{role:`alert`,children:K(i)});if(!w)return(0,H.jsxs)(`section`,{children:[(0,H.jsx)(`h1`,{children:`Room not found`}),(0,H.jsxs)(`p`,{children:[`This room does not exist or you may not see it. `,(0,H.jsx)(G,{href:`/`,children:`Back to the rooms`})]})]});if(!T)return(0,H.jsxs)(`section`,{children:[(0,H.jsx)(`h1`,{children:w.name}),(0,H.jsxs)(`p`,{children:[`Hosted by `,w.host.username,`. `,w.connectedCount??0,` listening now.`]}),c.error&&(0,H.jsx)(`p`,{role:`alert`,children:K(c.error)}),(0,H.jsx)(`button`,{type:`button`,disabled:c.fetching,onClick:async()=>{let t=await l({roomId:e});t.data?.joinRoom&&s(t.data.joinRoom)},children:`Join room`})]});let O=w.viewerCanControl;return(0,H.jsxs)(H.Fragment,{children:[(0,H.jsx)(`h1`,{children:w.name}),(0,H.jsxs)(`p`,{className:`muted`,children:[`Hosted by `,(d?.room??w).host.username,` · `,w.visibility.toLowerCase(),` room`,` `,(0,H.jsx)(`button`,{type:`button`,onClick:async()=>{await u({roomId:e}),W(`/`)},children:`Leave room`})]}),y&&(0,H.jsx)(`p`,{role:`alert`,children:y}),x&&(0,H.jsx)(`p`,{role:`alert`,children:x}),!d&&!x&&(0,H.jsx)(`p`,{children:`Connecting…`}),(0,H.jsxs)(`div`,{className:`room`,children:[(0,H.jsxs)(`div`,{className:`room-main`,children:[(0,H.jsx)(Ot,{roomId:e,playback:d?.playback??null,canControl:O,snapshots:_}),(0,H.jsx)(kt,{roomId:e,queue:d?.queue??[],canControl:O,meId:n?.id})]}),(0,H.jsxs)(`div`,{className:`room-side`,children:[(0,H.jsxs)(`section`,{"aria-labelledby":`members-h`,children:[(0,H.jsx)(`h2`,{id:`members-h`,children:`Members`}),(0,H.jsx)(`ul`,{"aria-label":`Members`,children:(d?.members??[]).map(e=>(0,H.jsxs)(`li`,{className:e.isConnected?`connected`:`away`,children:[e.user.username,` `,(0,H.jsxs)(`span`,{className:`muted`,children:[`(`,e.user.tag,`)`]}),e.role!==`LISTENER`&&(0,H.jsx)(`span`,{className:`badge`,children:e.role===`HOST`?`host`:`DJ`}),` `,(0,H.jsx)(`span`,{className:`muted`,children:e.isConnected?`connected`:`not connected`})]},e.user.id))})]}),(0,H.jsx)(vt,{roomId:e,messages:h,typing:(d?.typing??[]).filter(e=>e.id!==n?.id)})]})]})]})}var Nt={PUBLIC:`Public`,FRIENDS:`Friends`,PRIVATE:`Private`};function Pt(){let[{data:e,error:t,fetching:n},r]=z({query:Me}),[i,a]=(0,j.useState)(``),[o,s]=(0,j.useState)(`PUBLIC`),[c,l]=R(Ne),[u,d]=(0,j.useState)(null),f=async e=>{e.preventDefault(),d(null);let t=await l({input:{name:i.trim(),visibility:o}}),n=t.data?.createRoom?.id;if(!n)return d(K(t.error));W(`/rooms/${n}`)},p=e?.rooms.nodes??[];return(0,H.jsxs)(H.Fragment,{children:[(0,H.jsx)(`h1`,{children:`Rooms`}),(0,H.jsxs)(`section`,{"aria-labelledby":`rooms-list`,children:[(0,H.jsx)(`h2`,{id:`rooms-list`,children:`Rooms you can join`}),t&&(0,H.jsx)(`p`,{role:`alert`,children:K(t)}),n&&!e&&(0,H.jsx)(`p`,{children:`Loading…`}),e&&p.length===0&&(0,H.jsx)(`p`,{children:`No rooms yet: create one below.`}),(0,H.jsx)(`ul`,{"aria-label":`Rooms`,className:`cards`,children:p.map(e=>(0,H.jsxs)(`li`,{children:[(0,H.jsx)(G,{href:`/rooms/${e.id}`,children:e.name}),` `,(0,H.jsxs)(`span`,{className:`muted`,children:[Nt[e.visibility],` · host `,e.host.username,` · `,e.connectedCount??0,` of`,` `,e.memberCount??0,` listening`,e.viewerRole?` · you are a member`:``]})]},e.id))}),(0,H.jsx)(`button`,{type:`button`,onClick:()=>r({requestPolicy:`network-only`}),children:`Refresh`})]}),(0,H.jsxs)(`section`,{"aria-labelledby":`new-room`,children:[(0,H.jsx)(`h2`,{id:`new-room`,children:`New room`}),(0,H.jsxs)(`form`,{onSubmit:f,children:[(0,H.jsxs)(`label`,{children:[`Room name`,(0,H.jsx)(`input`,{required:!0,maxLength:80,value:i,onChange:e=>a(e.target.value)})]}),(0,H.jsxs)(`label`,{children:[`Visibility`,(0,H.jsxs)(`select`,{value:o,onChange:e=>s(e.target.value),children:[(0,H.jsx)(`option`,{value:`PUBLIC`,children:`Public: anyone may join`}),(0,H.jsx)(`option`,{value:`FRIENDS`,children:`Friends: your friends may join`}),(0,H.jsx)(`option`,{value:`PRIVATE`,children:`Private: people you invite`})]})]}),u&&(0,H.jsx)(`p`,{role:`alert`,children:u}),(0,H.jsx)(`button`,{type:`submit`,disabled:c.fetching,children:`Create room`})]})]})]})}function Ft(){let[e,t]=(0,j.useState)(!1);return(0,j.useEffect)(()=>{let e=!0;return fetch(`/auth/providers`,{headers:{accept:`application/json`}}).then(e=>e.ok?e.json():{google:!1}).then(n=>e&&t(n.google===!0)).catch(()=>void 0),()=>{e=!1}},[]),e}function It(){let[e,t]=(0,j.useState)(`signin`),[n,r]=(0,j.useState)(``),[i,a]=(0,j.useState)(``),[o,s]=(0,j.useState)(``),[c,l]=(0,j.useState)(``),[u,d]=(0,j.useState)(null),[f,p]=(0,j.useState)(null),m=Ft(),[h,g]=R(ke),[_,v]=R(Ae),[y,b]=R(je),x=h.fetching||_.fetching||y.fetching,S=async r=>{if(r.preventDefault(),p(null),e===`signin`){let e=await g({input:{email:n,password:i}}),r=e.data?.login;if(!r)return p(K(e.error));if(r.__typename===`TwoFactorChallenge`){d(r.challengeToken),t(`twofactor`);return}C(r)}else if(e===`register`){let e=await v({input:{email:n,password:i,username:o}});if(!e.data?.register)return p(K(e.error));C(e.data.register)}else{let e=await b({challengeToken:u,code:c.trim()});if(!e.data?.verifyTwoFactor)return p(K(e.error));C(e.data.verifyTwoFactor)}};if(e===`twofactor`)return(0,H.jsxs)(`section`,{className:`narrow`,children:[(0,H.jsx)(`h1`,{children:`Two-factor sign-in`}),(0,H.jsxs)(`form`,{onSubmit:S,children:[(0,H.jsx)(`p`,{children:`Enter the 6-digit code from your authenticator app, or one of your recovery codes.`}),(0,H.jsxs)(`label`,{children:[`Authentication code`,(0,H.jsx)(`input`,{name:`code`,autoComplete:`one-time-code`,inputMode:`numeric`,required:!0,autoFocus:!0,value:c,onChange:e=>l(e.target.value)})]}),f&&(0,H.jsx)(`p`,{role:`alert`,children:f}),(0,H.jsx)(`button`,{type:`submit`,disabled:x,children:`Verify`}),` `,(0,H.jsx)(`button`,{type:`button`,onClick:()=>{t(`signin`),l(``),p(null)},children:`Start over`})]})]});let w=e===`register`;return(0,H.jsxs)(`section`,{className:`narrow`,children:[(0,H.jsx)(`h1`,{children:w?`Create your account`:`Sign in to Soundroom`}),(0,H.jsxs)(`form`,{onSubmit:S,children:[(0,H.jsxs)(`label`,{children:[`Email`,(0,H.jsx)(`input`,{type:`email`,name:`email`,autoComplete:`email`,required:!0,value:n,onChange:e=>r(e.target.value)})]}),w&&(0,H.jsxs)(`label`,{children:[`Username`,(0,H.jsx)(`input`,{name:`username`,autoComplete:`nickname`,required:!0,minLength:3,maxLength:32,value:o,onChange:e=>s(e.target.value)})]}),(0,H.jsxs)(`label`,{children:[`Password`,(0,H.jsx)(`input`,{type:`password`,name:`password`,autoComplete:w?`new-password`:`current-password`,required:!0,minLength:w?8:void 0,value:i,onChange:e=>a(e.target.value)})]}),f&&(0,H.jsx)(`p`,{role:`alert`,children:f}),w?(0,H.jsxs)(H.Fragment,{children:[(0,H.jsx)(`button`,{type:`submit`,disabled:x,children:`Create account`}),` `,(0,H.jsx)(`button`,{type:`button`,onClick:()=>t(`signin`),children:`I already have an account`})]}):(0,H.jsxs)(H.Fragment,{children:[(0,H.jsx)(`button`,{type:`submit`,disabled:x,children:`Sign in`}),` `,(0,H.jsx)(`button`,{type:`button`,onClick:()=>t(`register`),children:`Create account`})]})]}),m&&(0,H.jsx)(`p`,{children:(0,H.jsx)(`a`,{href:`/auth/google`,children:`Sign in with Google`})})]})}function Lt(){let[e,t]=(0,j.useState)(S),n=de(),r=e?.user.id??null,[i,a]=(0,j.useState)(null);return(0,j.useEffect)(()=>l(t),[]),(0,j.useEffect)(()=>{let e=le();return a(e),()=>e.dispose()},[r]),n===`/auth/callback`?(0,H.jsx)(pe,{}):i?(0,H.jsxs)(ee,{value:i.client,children:[(0,H.jsx)(`header`,{children:(0,H.jsxs)(`nav`,{"aria-label":`Main`,children:[(0,H.jsx)(G,{href:`/`,className:`brand`,children:`Soundroom`}),e&&(0,H.jsxs)(H.Fragment,{children:[(0,H.jsx)(G,{href:`/`,children:`Rooms`}),(0,H.jsx)(G,{href:`/library`,children:`Library`}),(0,H.jsx)(G,{href:`/friends`,children:`Friends`})]}),(0,H.jsx)(`a`,{href:`/graphiql`,children:`GraphiQL`}),e&&(0,H.jsxs)(`span`,{className:`who`,children:[`Signed in as `,(0,H.jsx)(`strong`,{children:e.user.username}),` (`,e.user.tag,`)`,` `,(0,H.jsx)(`button`,{type:`button`,onClick:()=>{d().finally(()=>W(`/`))},children:`Sign out`})]})]})}),(0,H.jsx)(`main`,{children:(0,H.jsx)(zt,{children:e?Rt(n):(0,H.jsx)(It,{})},n)})]}):null}function Rt(e){let t=/^\/rooms\/([0-9a-fA-F-]{36})\/?$/.exec(e);if(t)return(0,H.jsx)(Mt,{roomId:t[1].toLowerCase()});switch(e.replace(/\/+$/,``)||`/`){case`/`:case`/rooms`:return(0,H.jsx)(Pt,{});case`/library`:return(0,H.jsx)(ht,{});case`/friends`:return(0,H.jsx)(we,{});default:return(0,H.jsxs)(`section`,{children:[(0,H.jsx)(`h1`,{children:`Not found`}),(0,H.jsxs)(`p`,{children:[`There is no page at `,(0,H.jsx)(`code`,{children:e}),`. `,(0,H.jsx)(G,{href:`/`,children:`Go to the rooms`}),`.`]})]})}}function zt({children:e}){let t=(0,j.useRef)(null);return(0,j.useEffect)(()=>{let e=t.current?.querySelector(`h1`);e&&document.activeElement===document.body&&(e.setAttribute(`tabindex`,`-1`),e.focus({preventScroll:!0}))},[]),(0,H.jsx)(`div`,{ref:t,children:e})}var Bt=document.getElementById(`root`);Bt&&(0,A.createRoot)(Bt).render((0,H.jsx)(j.StrictMode,{children:(0,H.jsx)(Lt,{})}));