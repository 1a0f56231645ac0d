// Landmarks streamed over UDP by 'microexpr live' (the live packet, LivePacket.cs), or by
// OpenSeeFace (Format = OpenSeeFace, OpenSeeFacePacket.cs: 2-D only; its packets carry no
// sequence number, so they are ordered by capture time: one not newer than the last accepted
// one is out of order). A background thread receives and decodes each datagram and applies
// the drop rules:
//   malformed     wrong magic, version, size, count, dims ... (LivePacket.TryDecode): counted;
//   out of order  a sequence number not newer than the last accepted one (serial-number
//   / duplicate   arithmetic, so the count may wrap at 2^32);
//   stale         captured more than StaleSeconds before the newest accepted packet.
// A sender that restarts counts from 0 again: after ResyncSeconds without an accepted packet,
// the next well-formed one starts a new stream (0 turns this off).
// The newest accepted packet is handed to the frame loop through a triple buffer (the
// receiver writes one slot, publishes it with one Interlocked.Exchange, and the frame loop
// takes it with another), so neither side waits for the other and no packet is read while it
// is written. TryGetLandmarks returns each accepted packet once (a packet that arrives while an
// older one is still unread replaces it); between packets it returns false and the driver holds
// the weights. Set-up allocates; TryGetLandmarks allocates nothing; nothing thrown on the
// receive thread reaches the frame loop (LastError keeps it).
using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using MicroExpr.Runtime;

namespace MicroExpr.Unity
{
    public sealed class UdpLandmarkSource : ILandmarkSource, IDisposable
    {
        /// <summary>A packet captured this long before the newest accepted one is dropped.</summary>
        public const double DefaultStaleSeconds = 0.25;
        /// <summary>After this long without an accepted packet, a new stream may start.</summary>
        public const double DefaultResyncSeconds = 1.0;
        const int L = Landmarks.Count;

        sealed class Slot
        {
            public readonly double[] Points, Confidence, Weights;
            public LivePacketHeader Header;
            public long ReceivedTicks;

            public Slot(int dims, int maxWeights)
            {
                Points = new double[L * dims];
                Confidence = new double[L];
                Weights = new double[maxWeights];
            }
        }

        readonly int dims;
        readonly string address;
        readonly int requestedPort;
        readonly Slot[] slots = new Slot[3];
        readonly byte[] buffer = new byte[LivePacket.MaxDatagram + 1];
        int back = 0, front = 1;              // the receiver's slot, the frame loop's slot
        int middle = 2;                       // the published slot; + Fresh when not yet taken
        const int Fresh = 4;

        Socket socket;
        Thread thread;
        volatile bool running;
        volatile string lastError;
        long received, accepted, dropped, malformed, outOfOrder, stale;
        volatile bool forget;                 // Reset asked the receive thread to forget
        volatile int format;                  // a LivePacketFormat
        bool hasLast;                         // receive thread only
        uint lastSeq;
        double lastStamp;
        long lastAcceptedTicks;

        /// <summary>Listens on <paramref name="port"/> (0: any free port, see Port) at
        /// <paramref name="address"/> ("127.0.0.1": this machine only; "0.0.0.0": every network
        /// interface) for packets of <paramref name="dims"/>-D landmarks; up to
        /// <paramref name="maxWeights"/> solved weights per packet are kept. Call Start.</summary>
        public UdpLandmarkSource(int port, int dims = 2, string address = "127.0.0.1", int maxWeights = 256)
        {
            if (dims != 2 && dims != 3)
                throw new MicroExprException("landmarks have 2 or 3 dimensions, not " + dims, null, "dims",
                    "use 2 for image points (microexpr live's default) or 3");
            if (port < 0 || port > 65535)
                throw new MicroExprException("port " + port + " is not a UDP port", null, "port",
                    "use the port given to microexpr live --send HOST:PORT (1-65535), or 0 for any");
            IPAddress parsed;
            if (address == null || !IPAddress.TryParse(address, out parsed))
                throw new MicroExprException("'" + address + "' is not an IP address", null, "address",
                    "use 127.0.0.1 (this machine) or 0.0.0.0 (every network interface)");
            this.dims = dims;
            this.address = address;
            requestedPort = port;
            for (int i = 0; i < 3; i++) slots[i] = new Slot(dims, Math.Max(0, maxWeights));
            StaleSeconds = DefaultStaleSeconds;
            ResyncSeconds = DefaultResyncSeconds;
        }

        public int Dimensions { get { return dims; } }

        /// <summary>The packet layout read: MicroExpr ('microexpr live', the default) or OpenSeeFace
        /// (its facetracker.py, 2-D sources only; its default port is OpenSeeFacePacket.DefaultPort).
        /// Changing it forgets the last packet, as Reset does.</summary>
        public LivePacketFormat Format
        {
            get { return (LivePacketFormat)format; }
            set
            {
                if (value != LivePacketFormat.MicroExpr && value != LivePacketFormat.OpenSeeFace)
                    throw new MicroExprException("unknown packet format " + (int)value, null, "Format",
                        "use LivePacketFormat.MicroExpr or LivePacketFormat.OpenSeeFace");
                if (value == LivePacketFormat.OpenSeeFace && dims != 2)
                    throw new MicroExprException("OpenSeeFace sends 2-D image points, not " + dims + "-D landmarks",
                        null, "Format", "make the source with dims 2 to read OpenSeeFace");
                format = (int)value;
                Reset();
            }
        }

        /// <summary>2-D packets carry image pixels with y down (as trackers write them); 3-D
        /// packets carry bridge-space points (right-handed, y up, the rig's units), as 3-D tracks.</summary>
        public LandmarkSpace Space { get { return dims == 2 ? LandmarkSpace.ImagePixelsYDown : LandmarkSpace.Bridge; } }

        /// <summary>Drop packets captured this long before the newest accepted one (seconds).</summary>
        public double StaleSeconds { get; set; }

        /// <summary>After this long (seconds) without an accepted packet, the next well-formed
        /// packet starts a new stream whatever its sequence number (0: never).</summary>
        public double ResyncSeconds { get; set; }

        /// <summary>The port listened on (the one picked when constructed with 0); 0 when stopped.</summary>
        public int Port { get; private set; }

        public bool IsRunning { get { return running; } }

        /// <summary>The last exception on the receive thread (null if none).</summary>
        public string LastError { get { return lastError; } }

        /// <summary>Datagrams received and handled (accepted and published, dropped or counted as
        /// malformed), whatever became of them.</summary>
        public long Received { get { return Interlocked.Read(ref received); } }
        /// <summary>Packets accepted as the newest.</summary>
        public long Accepted { get { return Interlocked.Read(ref accepted); } }
        /// <summary>Well-formed packets dropped: out of order, duplicates and stale ones.</summary>
        public long Dropped { get { return Interlocked.Read(ref dropped); } }
        /// <summary>Of Dropped: sequence numbers not newer than the last accepted one.</summary>
        public long OutOfOrder { get { return Interlocked.Read(ref outOfOrder); } }
        /// <summary>Of Dropped: captured more than StaleSeconds before the newest accepted one.</summary>
        public long Stale { get { return Interlocked.Read(ref stale); } }
        /// <summary>Datagrams that are not a packet this source reads.</summary>
        public long Malformed { get { return Interlocked.Read(ref malformed); } }

        /// <summary>The packet last returned by TryGetLandmarks / TryTake (OpenSeeFace packets:
        /// numbered by this source, 0 for the first accepted one).</summary>
        public uint LastSequence { get { return slots[front].Header.Sequence; } }
        /// <summary>Its capture time (seconds, the sender's clock; OpenSeeFace: time.time(),
        /// seconds since 1970).</summary>
        public double LastTimestamp { get { return slots[front].Header.Timestamp; } }
        /// <summary>Its solved weights (WeightCount of them, 0 when the packet had none).</summary>
        public double[] LastWeights { get { return slots[front].Weights; } }
        public int WeightCount { get { return Math.Min(slots[front].Header.WeightCount, slots[front].Weights.Length); } }
        /// <summary>Seconds between its arrival and now (Stopwatch clock).</summary>
        public double LastAge { get { return (Stopwatch.GetTimestamp() - slots[front].ReceivedTicks) / (double)Stopwatch.Frequency; } }

        /// <summary>Binds the socket and starts the receive thread (no-op when running).</summary>
        public void Start()
        {
            if (running) return;
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                // one listener per port (Mono lets a second socket share it, splitting the stream)
                s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, false);
                s.ReceiveBufferSize = 1 << 20;
                s.ReceiveTimeout = 200;               // the thread sees Stop within this
                s.Bind(new IPEndPoint(IPAddress.Parse(address), requestedPort));
            }
            catch (SocketException e)
            {
                s.Close();
                throw new MicroExprException("cannot listen on UDP " + address + ":" + requestedPort + " (" + e.Message + ")",
                    null, "port", "pick a free port, and the same one for microexpr live --send");
            }
            socket = s;
            Port = ((IPEndPoint)s.LocalEndPoint).Port;
            running = true;
            thread = new Thread(Receive);
            thread.IsBackground = true;
            thread.Name = "MicroExpr UDP landmarks";
            thread.Start();
        }

        /// <summary>Stops the receive thread and closes the socket (no-op when stopped).</summary>
        public void Stop()
        {
            if (!running) return;
            running = false;
            Socket s = socket;
            socket = null;
            try { s.Close(); } catch (Exception) { }
            if (thread != null && thread != Thread.CurrentThread) thread.Join(2000);
            thread = null;
            Port = 0;
        }

        public void Dispose() { Stop(); }

        /// <summary>Forget the last accepted packet (a new take from a restarted sender): the next
        /// well-formed packet is accepted whatever its sequence number; an unread one is discarded.</summary>
        public void Reset()
        {
            forget = true;
            int m = Volatile.Read(ref middle);
            Interlocked.CompareExchange(ref middle, m & 3, m);
        }

        /// <summary>Takes the newest accepted packet not yet taken: true when there is one (its
        /// fields are then LastSequence, LastTimestamp, LastWeights ...). Allocates nothing.</summary>
        public bool TryTake()
        {
            if ((Volatile.Read(ref middle) & Fresh) == 0) return false;
            front = Interlocked.Exchange(ref middle, front) & 3;
            return true;
        }

        /// <summary>The newest accepted packet not yet returned, when a face was found in it:
        /// its landmarks (68 * Dimensions, NaN for a missing one) and confidences (68).
        /// False when no new packet arrived or it had no face. Allocates nothing.</summary>
        public bool TryGetLandmarks(double[] points, double[] confidence)
        {
            if (!TryTake()) return false;
            Slot s = slots[front];
            if (!s.Header.Valid) return false;
            Array.Copy(s.Points, points, L * dims);
            Array.Copy(s.Confidence, confidence, L);
            return true;
        }

        void Receive()
        {
            try
            {
                while (running)
                {
                    Socket s = socket;
                    if (s == null) break;
                    SocketError err;
                    int n;
                    try { n = s.Receive(buffer, 0, buffer.Length, SocketFlags.None, out err); }
                    catch (ObjectDisposedException) { break; }
                    catch (SocketException) { continue; }
                    if (!running) break;
                    if (err == SocketError.MessageSize)
                        Interlocked.Increment(ref malformed);
                    else if (err == SocketError.Success)
                        Handle(n);
                    else
                        continue;                       // a timeout: look at running again
                    Interlocked.Increment(ref received);   // after its fate is known and published
                }
            }
            catch (Exception e)
            {
                lastError = e.GetType().Name + ": " + e.Message;
                running = false;
            }
        }

        void Handle(int n)
        {
            Slot slot = slots[back];
            LivePacketHeader h;
            LivePacketProblem problem;
            bool osf = format == (int)LivePacketFormat.OpenSeeFace;
            bool ok = osf ? OpenSeeFacePacket.TryDecode(buffer, n, slot.Points, slot.Confidence, out h, out problem)
                          : LivePacket.TryDecode(buffer, n, dims, slot.Points, slot.Confidence, slot.Weights, out h, out problem);
            if (!ok)
            {
                Interlocked.Increment(ref malformed);
                return;
            }
            if (forget)
            {
                forget = false;
                hasLast = false;
            }
            long now = Stopwatch.GetTimestamp();
            bool resync = ResyncSeconds > 0 &&
                          (now - lastAcceptedTicks) / (double)Stopwatch.Frequency > ResyncSeconds;
            if (hasLast && !resync)
            {
                if (osf ? !(h.Timestamp > lastStamp) : !LivePacket.Newer(h.Sequence, lastSeq))
                {
                    Interlocked.Increment(ref outOfOrder);
                    Interlocked.Increment(ref dropped);
                    return;
                }
                if (h.Timestamp < lastStamp - StaleSeconds)
                {
                    Interlocked.Increment(ref stale);
                    Interlocked.Increment(ref dropped);
                    return;
                }
            }
            if (osf) h.Sequence = hasLast ? unchecked(lastSeq + 1) : 0u;   // numbered here
            hasLast = true;
            lastSeq = h.Sequence;
            lastStamp = h.Timestamp;
            lastAcceptedTicks = now;
            slot.Header = h;
            slot.ReceivedTicks = now;
            back = Interlocked.Exchange(ref middle, back | Fresh) & 3;
            Interlocked.Increment(ref accepted);
        }
    }
}
